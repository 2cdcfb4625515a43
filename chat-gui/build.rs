//! Embeds the application icon and the version details (FileVersion and ProductVersion from the
//! crate's version) in the Windows executable, so Explorer, the taskbar and the file's
//! Properties show them. Nothing to do for other systems: they take the icon from the window
//! (`ViewportBuilder::with_icon`), the `.desktop` file or the `.app` bundle.

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
        .set("FileDescription", "Chat desktop client")
        .set("OriginalFilename", "chat-gui.exe")
        .set("LegalCopyright", "Copyright 2026 The chat authors");
    if let Err(e) = resource.compile_for("chat-gui") {
        // A missing resource compiler must not pass silently: the release would ship without
        // its icon.
        eprintln!("cannot embed the Windows icon: {e}");
        std::process::exit(1);
    }
}
