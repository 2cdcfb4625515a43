//! The web client in a real browser: headless Chromium opens the page a real server serves
//! (the bundle `scripts/web.sh` builds), and a person's keystrokes, sent over WebDriver, create
//! an account, chat with a native client both ways, write privately, download a file, come back
//! after a reload without typing the password and send a file chosen in the browser's dialog;
//! then a phone-sized browser logs in. Another page sends files while the server is busy,
//! through a connection cut in the middle of the bytes, dropped on it and pasted; another shows a
//! line's picture as its preview and the whole picture in its viewer, read from the pixels it
//! draws, and sends a photo. What the page shows is otherwise read from its status and log
//! regions (the window shown and the lines, as text for screen readers: chat-gui's
//! `web/said.rs`); the native side is the raw protocol client of the other tests.
//!
//! `CHAT_WEB_BUNDLE` names the bundle (default `target/web-client`); `CHAT_WEB_SHOTS` a directory
//! where screenshots at both sizes are saved (the README's come from there).

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_core::protocol::{Attachment, Request, ServerMessage};

use super::engines::missing;
use super::files::{Http, begin, bytes, cancel, download, put_preview, upload};
use super::harness::{Client, TestServer, said, signed_in};
use super::webdriver::{Browser, Driver, ENTER, ESCAPE, SPACE, TAB};

/// How long the page may take to show something: a loaded machine runs the WebAssembly slowly
/// (alone, the client starts in under a second; beside the rest of the suite on two cores it
/// once took more than 30 s).
const PAGE_WAIT: Duration = Duration::from_secs(90);

/// The bundle, if it was built.
fn bundle() -> Option<PathBuf> {
    let dir = std::env::var_os("CHAT_WEB_BUNDLE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/web-client"),
        PathBuf::from,
    );
    if dir.join("index.html").is_file() && dir.join("chat_bg.wasm").is_file() {
        Some(dir)
    } else {
        missing(&format!(
            "the web client's bundle ({}; built by scripts/web.sh)",
            dir.display()
        ));
        None
    }
}

/// WebDriver and a server serving the bundle, if both are there.
fn serving() -> Option<(Driver, TestServer)> {
    let bundle = bundle()?;
    let driver = Driver::start()?;
    let server = TestServer::start_with(move |c| c.web_dir = Some(bundle.clone()));
    Some((driver, server))
}

/// Opens the page at `url` and logs in as beto (registered, password `password-beto`).
fn beto_logs_in(page: &Browser, url: &str) {
    open(page, url);
    window(page, "Log in");
    page.keys(&format!("beto{TAB}password-beto{ENTER}"));
    shows(page, "# lobby");
}

/// Waits until the page's log region holds `text`.
fn shows(page: &Browser, text: &str) {
    let script = format!(
        "return (document.getElementById('said') || {{innerText: ''}}).innerText.includes({})",
        serde_json::Value::from(text)
    );
    let deadline = Instant::now() + PAGE_WAIT;
    while page.script(&script) != serde_json::Value::Bool(true) {
        if Instant::now() > deadline {
            let shot = std::env::temp_dir().join("chat-web-failed.png");
            let _ = std::fs::write(&shot, page.screenshot());
            panic!(
                "the page never showed {text:?}; its lines:\n{}\n(what it drew: {})",
                page.script("return document.getElementById('said').innerText"),
                shot.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the page's status region names `heading` as the window shown.
fn window(page: &Browser, heading: &str) {
    let script = format!(
        "return (document.getElementById('window') || {{}}).textContent === {}",
        serde_json::Value::from(heading)
    );
    page.wait_for(&format!("the window {heading:?}"), PAGE_WAIT, &script);
}

/// Opens the page and waits for the client to start on it; returns how long that took.
fn open(page: &Browser, url: &str) -> Duration {
    let started = Instant::now();
    page.open(url);
    page.wait_for(
        "the client (the loading line is still there)",
        PAGE_WAIT,
        "return document.getElementById('loading') === null",
    );
    started.elapsed()
}

/// Saves a screenshot in `CHAT_WEB_SHOTS`, if set.
fn keep_screenshot(page: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("CHAT_WEB_SHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), page.screenshot()).unwrap();
    }
}

/// `ana` says `text` in her room, and sees it said.
fn says(ana: &mut Client, text: &str) {
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: text.into(),
    });
    ana.expect("her own line", |m| said(m, "ana", text));
}

#[test]
fn in_chromium_the_web_client_registers_chats_writes_privately_and_stays_signed_in() {
    let Some((driver, server)) = serving() else {
        return;
    };
    let url = format!("http://{}/", server.addr());
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    ana.settle();
    says(&mut ana, "said before the browser came");

    let downloads = tempfile::tempdir().unwrap();
    let page = driver.browser(1280, 800, false, downloads.path());
    let took = open(&page, &url);
    eprintln!(
        "the client started {} ms after navigation",
        took.as_millis()
    );
    // The login window: the keyboard is in the login field. "Keep me signed in", then
    // "Create an account" (the disabled "Log in" takes no focus).
    window(&page, "Log in");
    page.keys(&format!("{TAB}{TAB}{SPACE}{TAB}{ENTER}"));
    // The registration window, field by field; Enter on "Create account".
    window(&page, "Create an account");
    page.keys(&format!(
        "{TAB}Beto{TAB}Núñez Web{TAB}beto{TAB}password-beto{TAB}password-beto{TAB}21{TAB}{TAB}{ENTER}"
    ));
    // Registered and logged in: the default room, with its history.
    shows(&page, "# lobby");
    shows(&page, "ana: said before the browser came");

    // Both ways in the room.
    page.keys(&format!("hello from the browser{ENTER}"));
    ana.expect("beto's line from the browser", |m| {
        said(m, "beto", "hello from the browser")
    });
    says(&mut ana, "hello, browser");
    shows(&page, "ana: hello, browser");

    // Privately, both ways.
    ana.request(Request::Private {
        attachments: Vec::new(),
        to: "beto".into(),
        text: "a word in private".into(),
        reply_to: None,
    });
    shows(&page, "ana → beto: a word in private");
    page.keys(&format!("#\\private<ana> a private answer{ENTER}"));
    ana.expect("beto's private answer", |m| {
        matches!(m, ServerMessage::Private { from, text, .. }
            if from == "beto" && text == "a private answer")
    });
    // A file in a line: downloaded byte for byte from the line's button (the card's does the
    // same download; the log region's button is what a screen reader reaches).
    let report: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut http = Http::plain(server.addr());
    let file = upload(&mut http, &ana_token, "informe.pdf", &report);
    ana.send(Request::Say {
        attachments: vec![file],
        reply_to: None,
        text: "el informe".into(),
    });
    ana.expect("her line with the file", |m| said(m, "ana", "el informe"));
    shows(&page, "ana: el informe");
    shows(&page, "informe.pdf");
    page.script(
        "for (const b of document.querySelectorAll('#said button')) \
           if (b.textContent.includes('informe.pdf')) b.click(); return true",
    );
    let saved = downloads.path().join("informe.pdf");
    let deadline = Instant::now() + PAGE_WAIT;
    while std::fs::read(&saved).ok().as_deref() != Some(report.as_slice()) {
        assert!(
            Instant::now() < deadline,
            "the download never came whole: {:?}",
            std::fs::read_dir(downloads.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    keep_screenshot(&page, "web-1280x800");

    // A reload resumes the kept session: no password typed, and lines go out as beto's.
    page.reload();
    page.wait_for(
        "the client after the reload",
        PAGE_WAIT,
        "return document.getElementById('loading') === null",
    );
    window(&page, "# lobby");
    page.keys(&format!("back after a reload{ENTER}"));
    ana.expect("beto's line after the reload", |m| {
        said(m, "beto", "back after a reload")
    });
    // A file chosen in the browser's dialog goes with the next line, byte for byte.
    let homework: Vec<u8> = (0..40_000u32).map(|i| (i * 13 % 256) as u8).collect();
    let chosen = downloads.path().join("tarea de física.txt");
    std::fs::write(&chosen, &homework).unwrap();
    let attachments = sends_file(&page, &mut ana, &chosen, "la tarea");
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    assert_eq!(attachments[0].name, "tarea de física.txt");
    let fetched = download(&mut http, &ana_token, &attachments[0].id, None);
    assert_eq!(fetched.status, 200);
    assert!(fetched.body == homework, "the file came back different");
    keep_screenshot(&page, "web-sent-a-file");
    drop(page);

    // A phone: a fresh browser (nothing kept) logs in with login and password.
    let phone = driver.browser(390, 844, true, downloads.path());
    open(&phone, &url);
    window(&phone, "Log in");
    phone.keys(&format!("beto{TAB}password-beto{ENTER}"));
    shows(&phone, "# lobby");
    shows(&phone, "ana: hello, browser");
    phone.keys(&format!("now from a phone{ENTER}"));
    ana.expect("beto's line from the phone", |m| {
        said(m, "beto", "now from a phone")
    });
    keep_screenshot(&phone, "web-390x844");
}

/// A TCP relay in front of the server (real sockets both ways) that, once armed, goes down the
/// moment a connection has carried more than `CUT_AFTER` bytes towards the server from then
/// on (an upload's, not the page's chat or its loading): every HTTP connection through it is
/// cut (with the idle ones the browser would send the request again on by itself) and new
/// ones are refused for `DOWN_FOR`. The chat's WebSocket is left alone, so that the line
/// typed meanwhile goes (a page that lost its chat takes no Enter until it is back). It
/// counts the bytes that went towards the server.
struct Relay {
    addr: std::net::SocketAddr,
    state: Arc<Relayed>,
}

#[derive(Default)]
struct Relayed {
    armed: AtomicBool,
    cuts: AtomicU32,
    /// Bytes from the page to the server, in all.
    upstream: AtomicUsize,
    /// Until when new connections are refused.
    down_until: Mutex<Option<Instant>>,
    /// The page's side of every HTTP connection, to cut them all.
    clients: Mutex<Vec<TcpStream>>,
}

const CUT_AFTER: usize = 256 * 1024;
const DOWN_FOR: Duration = Duration::from_secs(4);

impl Relay {
    fn start(to: std::net::SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Relayed::default());
        let here = Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let down = here
                    .down_until
                    .lock()
                    .unwrap()
                    .is_some_and(|t| Instant::now() < t);
                if down {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(to) else {
                    continue;
                };
                let (mut from_server, mut to_client) =
                    (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
                let state = Arc::clone(&here);
                std::thread::spawn(move || {
                    let (mut from_client, mut to_server) = (client, server);
                    let mut buf = [0u8; 16 * 1024];
                    let mut since_armed = 0;
                    let mut first = true;
                    while let Ok(n) = from_client.read(&mut buf) {
                        if n == 0 || to_server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        // Every connection but the chat's WebSocket is cut with the upload's.
                        if std::mem::take(&mut first) && !buf.starts_with(b"GET /ws") {
                            let client = from_client.try_clone().unwrap();
                            state.clients.lock().unwrap().push(client);
                        }
                        state.upstream.fetch_add(n, Ordering::SeqCst);
                        if state.armed.load(Ordering::SeqCst) {
                            since_armed += n;
                            if since_armed > CUT_AFTER && state.armed.swap(false, Ordering::SeqCst)
                            {
                                state.cuts.fetch_add(1, Ordering::SeqCst);
                                *state.down_until.lock().unwrap() = Some(Instant::now() + DOWN_FOR);
                                for client in state.clients.lock().unwrap().drain(..) {
                                    let _ = client.shutdown(Shutdown::Both);
                                }
                                break;
                            }
                        }
                    }
                    let _ = to_server.shutdown(Shutdown::Both);
                });
            }
        });
        Relay { addr, state }
    }
}

/// Waits for beto's line `text` at `ana`; the bytes of the one file it carries.
fn line_with_file(ana: &mut Client, http: &mut Http, token: &str, text: &str) -> Vec<u8> {
    let deadline = Instant::now() + PAGE_WAIT;
    let line = loop {
        let got = ana.settle();
        if let Some(line) = got.into_iter().find(|m| said(m, "beto", text)) {
            break line;
        }
        assert!(Instant::now() < deadline, "beto's {text:?} never came");
        std::thread::sleep(Duration::from_millis(100));
    };
    let ServerMessage::Message { attachments, .. } = line else {
        unreachable!()
    };
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    let fetched = download(http, token, &attachments[0].id, None);
    assert_eq!(fetched.status, 200);
    fetched.body
}

#[test]
fn in_chromium_an_upload_waits_out_a_busy_server_goes_on_after_a_cut_and_takes_drops_and_pastes() {
    let Some((driver, server)) = serving() else {
        return;
    };
    // The page and everything it asks go through the relay.
    let relay = Relay::start(server.addr());
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    let (_beto, beto_token) = signed_in(server.addr(), "beto");
    ana.settle();
    let dir = tempfile::tempdir().unwrap();
    let page = driver.browser(1280, 800, false, dir.path());
    beto_logs_in(&page, &format!("http://{}/", relay.addr));

    // Beto has as many uploads under way as an account may (another of his pages, say): the
    // page's file waits, and goes once one of them ends.
    let mut http = Http::plain(server.addr());
    let under_way: Vec<String> = (0..chat_server::store::files::MAX_UNDER_WAY)
        .map(|n| {
            let answer = begin(
                &mut http,
                &beto_token,
                &format!("parte{n}.bin"),
                &bytes(10 + n),
            );
            answer.json()["upload"].as_str().unwrap().to_owned()
        })
        .collect();
    let first = bytes(50_000);
    let chosen = dir.path().join("primera.bin");
    std::fs::write(&chosen, &first).unwrap();
    page.choose_file("#attach-files", &chosen);
    page.keys(&format!("la primera{ENTER}"));
    // Refused for as long as the 64 are there (each refusal waited out in turn).
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !ana.settle().iter().any(|m| said(m, "beto", "la primera")),
        "sent while the server was refusing it"
    );
    keep_screenshot(&page, "web-upload-busy");
    assert_eq!(cancel(&mut http, &beto_token, &under_way[0]).status, 204);
    let got = line_with_file(&mut ana, &mut http, &ana_token, "la primera");
    assert!(got == first, "the first file came back different");

    // A file whose connection is cut in the middle of its bytes: the page asks where the
    // server's copy ends and sends the rest.
    let second = bytes(1 << 20);
    let chosen = dir.path().join("segunda.bin");
    std::fs::write(&chosen, &second).unwrap();
    let before = relay.state.upstream.load(Ordering::SeqCst);
    relay.state.armed.store(true, Ordering::SeqCst);
    page.choose_file("#attach-files", &chosen);
    page.keys(&format!("la segunda{ENTER}"));
    let got = line_with_file(&mut ana, &mut http, &ana_token, "la segunda");
    assert_eq!(
        relay.state.cuts.load(Ordering::SeqCst),
        1,
        "the upload was never cut"
    );
    assert!(got == second, "the second file came back different");
    // Sent on from where the server's copy ended, not again from the start (which would be
    // the 256 KiB before the cut more).
    let went = relay.state.upstream.load(Ordering::SeqCst) - before;
    assert!(
        went < second.len() + 128 * 1024,
        "{went} bytes went for a file of {}",
        second.len()
    );

    // A file dropped on the page goes with the next line (the browser's drop, as a person's
    // drag from their desktop makes it).
    let dropped: Vec<u8> = (0..30_000u32).map(|i| (i * 7 % 256) as u8).collect();
    page.script(
        "const bytes = new Uint8Array(30000); \
         for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256; \
         const dt = new DataTransfer(); \
         dt.items.add(new File([bytes], 'soltado.bin')); \
         const canvas = document.getElementById('chat'); \
         for (const type of ['dragenter', 'dragover', 'drop']) \
           canvas.dispatchEvent(new DragEvent(type, \
             { dataTransfer: dt, bubbles: true, cancelable: true })); \
         return true",
    );
    page.keys(&format!("lo que solté{ENTER}"));
    let got = line_with_file(&mut ana, &mut http, &ana_token, "lo que solté");
    assert!(got == dropped, "the dropped file came back different");

    // A screenshot pasted (Ctrl+V after copying it): the browser's paste carries it as a file.
    let screenshot = solid_png(200, 100, [200, 120, 0]);
    let bytes: Vec<String> = screenshot.iter().map(u8::to_string).collect();
    page.script(&format!(
        "const dt = new DataTransfer(); \
         dt.items.add(new File([new Uint8Array([{}])], 'image.png', {{ type: 'image/png' }})); \
         document.dispatchEvent(new ClipboardEvent('paste', \
           {{ clipboardData: dt, bubbles: true, cancelable: true }})); \
         return true",
        bytes.join(",")
    ));
    page.keys(&format!("mi pantalla{ENTER}"));
    let got = line_with_file(&mut ana, &mut http, &ana_token, "mi pantalla");
    assert!(got == screenshot, "the pasted picture came back different");
}

/// Beto's page sends the file at `path` with the line `text`; the files `ana` sees it carry.
fn sends_file(
    page: &Browser,
    ana: &mut Client,
    path: &std::path::Path,
    text: &str,
) -> Vec<Attachment> {
    page.choose_file("#attach-files", path);
    page.keys(&format!("{text}{ENTER}"));
    match ana.expect("beto's line with a file", |m| said(m, "beto", text)) {
        ServerMessage::Message { attachments, .. } => attachments,
        _ => unreachable!(),
    }
}

/// A PNG of `width` × `height` pixels of one colour.
fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height).flat_map(|_| rgb).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// How many pixels of a screenshot are `rgb` (within a few steps, as scaling blends edges),
/// and where their middle is.
fn pixels_of(shot: &[u8], rgb: [u8; 3]) -> (usize, (u32, u32)) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(shot));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (mut n, mut sum_x, mut sum_y) = (0usize, 0u64, 0u64);
    for (i, px) in buf[..info.buffer_size()].chunks(channels).enumerate() {
        if px[..3].iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 8) {
            let i = u32::try_from(i).unwrap();
            n += 1;
            sum_x += u64::from(i % info.width);
            sum_y += u64::from(i / info.width);
        }
    }
    let middle = |sum: u64| u32::try_from(sum / n.max(1) as u64).unwrap();
    (n, (middle(sum_x), middle(sum_y)))
}

/// Waits until the page has drawn at least `least` pixels of `rgb`; where their middle is.
fn drawn(page: &Browser, what: &str, rgb: [u8; 3], least: usize) -> (u32, u32) {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let shot = page.screenshot();
        let (n, middle) = pixels_of(&shot, rgb);
        if n >= least {
            return middle;
        }
        if Instant::now() > deadline {
            let path = std::env::temp_dir().join("chat-web-failed.png");
            let _ = std::fs::write(&path, &shot);
            panic!(
                "the page never drew {what} ({n} pixels of it; {})",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn in_chromium_pictures_show_in_lines_open_in_the_viewer_and_leave_measured_without_metadata() {
    let Some((driver, server)) = serving() else {
        return;
    };
    let (mut ana, token) = signed_in(server.addr(), "ana");
    signed_in(server.addr(), "beto");
    let dir = tempfile::tempdir().unwrap();
    let page = driver.browser(1280, 800, false, dir.path());
    beto_logs_in(&page, &format!("http://{}/", server.addr()));

    // Ana's picture: blue, and its preview red (a preview is its sender's to make: these two
    // tell which one the page drew). A code file beside it shows its first lines.
    const RED: [u8; 3] = [230, 20, 20];
    const BLUE: [u8; 3] = [20, 40, 230];
    const GREEN: [u8; 3] = [30, 150, 60];
    let mut http = Http::plain(server.addr());
    let picture = upload(&mut http, &token, "pizarra.png", &solid_png(800, 600, BLUE));
    let preview = solid_png(320, 240, RED);
    assert_eq!(
        put_preview(&mut http, &token, &picture, &preview).status,
        204
    );
    let code = upload(
        &mut http,
        &token,
        "main.rs",
        b"fn main() {\n    println!(\"hola, clase\");\n}\n",
    );
    ana.send(Request::Say {
        attachments: vec![picture, code],
        reply_to: None,
        text: "la pizarra y el programa".into(),
    });
    shows(&page, "ana: la pizarra y el programa");
    // The line shows the preview (at most 320 × 240 points; most of it, whatever the layout).
    let at = drawn(&page, "the picture's preview", RED, 30_000);
    keep_screenshot(&page, "web-picture");
    // A click opens the viewer, which shows the whole picture once it is fetched.
    page.click_at(at.0, at.1);
    drawn(&page, "the whole picture in the viewer", BLUE, 100_000);
    keep_screenshot(&page, "web-viewer");
    page.keys(&ESCAPE.to_string());

    // Beto sends a picture from the page: it goes with its size and a preview, and without
    // the text its file carried (where a phone's photo says it was taken).
    let mut with_text = Vec::new();
    let mut encoder = png::Encoder::new(&mut with_text, 640, 480);
    encoder.set_color(png::ColorType::Rgb);
    encoder
        .add_text_chunk("Location".into(), "Plaza Mayor, Madrid".into())
        .unwrap();
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..640 * 480).flat_map(|_| GREEN).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    let chosen = dir.path().join("foto.png");
    std::fs::write(&chosen, &with_text).unwrap();
    let attachments = sends_file(&page, &mut ana, &chosen, "mi foto");
    let sent = &attachments[0];
    assert_eq!(
        (sent.mime.as_str(), sent.width, sent.height, sent.preview),
        ("image/png", Some(640), Some(480), true),
        "{sent:?}"
    );
    let fetched = download(&mut http, &token, &sent.id, None).body;
    assert!(
        !fetched.windows(8).any(|w| w == b"Location"),
        "the text went with it"
    );
    let mut reader = png::Decoder::new(std::io::Cursor::new(fetched))
        .read_info()
        .unwrap();
    let mut got = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut got).unwrap();
    assert!(got == pixels, "the picture itself changed");
    let preview = http.request(
        &format!(
            "GET /files/{}/preview HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n",
            sent.id
        ),
        b"",
    );
    assert_eq!(preview.status, 200);
    drawn(&page, "beto's own photo", GREEN, 30_000);
    keep_screenshot(&page, "web-sent-picture");
}
