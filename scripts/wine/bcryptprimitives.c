/*
 * A stand-in for Windows' bcryptprimitives.dll, for running the project's .exe files under Wine
 * only (scripts/windows.sh). Rust's standard library takes its random numbers from ProcessPrng
 * in that DLL (since Rust 1.78); Wine 8 does not have it, so every Rust program fails to start
 * there (status c0000135). Windows 10 and later have the real DLL: this one is never shipped.
 *
 * Build: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom, exported by advapi32 under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
