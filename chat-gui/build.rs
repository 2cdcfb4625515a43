//! Embeds the application icon (and version details) in the Windows executable, so Explorer and
//! the taskbar show it. Nothing to do for other systems: they take the icon from the window
//! (`ViewportBuilder::with_icon`), the `.desktop` file or the `.app` bundle.

fn main() {
    println!("cargo:rerun-if-changed=../assets/icon.ico");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut resource = winresource::WindowsResource::new();
    resource
        .set_icon("../assets/icon.ico")
        .set("ProductName", "Chat")
        .set("FileDescription", "Chat desktop client");
    if let Err(e) = resource.compile() {
        // A missing resource compiler must not pass silently: the release would ship without
        // its icon.
        eprintln!("cannot embed the Windows icon: {e}");
        std::process::exit(1);
    }
}
