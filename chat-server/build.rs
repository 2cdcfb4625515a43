//! Embeds the icon and the version details (FileVersion and ProductVersion from the crate's
//! version) in `chat-server.exe`, so a Windows administrator sees what is running in Explorer and
//! the Task Manager. Nothing to do for other systems.

fn main() {
    println!("cargo:rerun-if-changed=../assets/icon.ico");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    // `new()` fills FileVersion, ProductVersion and the numeric version from Cargo.
    let mut resource = winresource::WindowsResource::new();
    resource
        .set_icon("../assets/icon.ico")
        .set("ProductName", "Chat")
        .set("FileDescription", "Chat server")
        .set("OriginalFilename", "chat-server.exe")
        .set("LegalCopyright", "Copyright 2026 The chat authors");
    if let Err(e) = resource.compile_for("chat-server") {
        eprintln!("cannot embed the Windows icon and version: {e}");
        std::process::exit(1);
    }
}
