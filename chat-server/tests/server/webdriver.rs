//! A real Chromium, driven over WebDriver: `chromedriver` started on a free port and stopped by
//! PID, its JSON over HTTP/1.1 spoken on a plain socket (a handful of endpoints: no client crate,
//! no async runtime for the suite). Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them), or the programs `CHAT_CHROMIUM` and `CHAT_CHROMEDRIVER` name. Chromium runs headless as root with `--no-sandbox`; WebGL2 needs no flags.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::engines::{available, free_port};

/// A program: where `variable` says, else where Debian puts it.
fn program(variable: &str, debian: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| PathBuf::from(debian), PathBuf::from)
}

/// The browser (`CHAT_CHROMIUM`, else Debian's `chromium`).
fn chromium() -> PathBuf {
    program("CHAT_CHROMIUM", "/usr/bin/chromium")
}

/// Its WebDriver (`CHAT_CHROMEDRIVER`, else Debian's `chromedriver`).
fn chromedriver() -> PathBuf {
    program("CHAT_CHROMEDRIVER", "/usr/bin/chromedriver")
}

/// Keys of the WebDriver key actions.
pub const TAB: char = '\u{e004}';
pub const ENTER: char = '\u{e007}';
pub const ESCAPE: char = '\u{e00c}';
pub const SPACE: char = '\u{e00d}';

/// A running `chromedriver`; dropped, it is killed.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    /// Starts `chromedriver`, or says the test did not run if Chromium is not installed (a
    /// failure where it must run: see [`super::engines::must_run`]).
    pub fn start() -> Option<Driver> {
        if !(available(&chromium()) && available(&chromedriver())) {
            return None;
        }
        let port = free_port();
        let child = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Driver {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(driver.addr, "GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(driver)
    }

    /// A new browser (its own profile: nothing stored) with a viewport of `width`×`height` CSS
    /// pixels; `phone` emulates a touch screen. Downloads go to `downloads`.
    pub fn browser(&self, width: u32, height: u32, phone: bool, downloads: &Path) -> Browser {
        let metrics =
            json!({ "width": width, "height": height, "pixelRatio": 1.0, "touch": phone });
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": ["--headless=new", "--no-sandbox", "--hide-scrollbars", "--lang=en-US",
                         format!("--window-size={width},{height}")],
                "mobileEmulation": { "deviceMetrics": metrics },
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            }
        }}});
        let value = call(self.addr, "POST", "/session", Some(&capabilities));
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {value}"))
            .to_owned();
        Browser {
            addr: self.addr,
            id,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser window; dropped, it is closed.
pub struct Browser {
    addr: SocketAddr,
    id: String,
}

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        call(
            self.addr,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
    }

    /// Opens `url` (WebDriver waits for the page's load event).
    pub fn open(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    /// Reloads the page.
    pub fn reload(&self) {
        self.call("POST", "/refresh", Some(&json!({})));
    }

    /// Runs `script` in the page and returns what it returns.
    pub fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": [] })),
        )
    }

    /// Waits until `script` returns true; panics with `what` after `wait`.
    pub fn wait_for(&self, what: &str, wait: Duration, script: &str) {
        let deadline = Instant::now() + wait;
        while self.script(script) != Value::Bool(true) {
            assert!(Instant::now() < deadline, "the page never showed {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `text` as key presses, as a person would; special keys (see [`TAB`]) get a pause
    /// around them, so that the page draws a frame between them and the next (a key pressed
    /// and released within one frame moves no focus). The pause is a slow frame's length on a
    /// loaded machine, not a typical one's.
    pub fn keys(&self, text: &str) {
        const PAUSE_MS: u64 = 150;
        let mut actions = Vec::new();
        for key in text.chars() {
            let special = ('\u{e000}'..='\u{f8ff}').contains(&key);
            if special {
                actions.push(json!({ "type": "pause", "duration": PAUSE_MS }));
            }
            actions.push(json!({ "type": "keyDown", "value": key.to_string() }));
            if special {
                actions.push(json!({ "type": "pause", "duration": PAUSE_MS }));
            }
            actions.push(json!({ "type": "keyUp", "value": key.to_string() }));
        }
        actions.push(json!({ "type": "pause", "duration": PAUSE_MS }));
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.call("POST", "/actions", Some(&body));
    }

    /// Clicks the left button at (`x`, `y`), in CSS pixels from the page's top left.
    pub fn click_at(&self, x: u32, y: u32) {
        let body = json!({ "actions": [{
            "type": "pointer",
            "id": "mouse",
            "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "x": x, "y": y, "origin": "viewport" },
                { "type": "pause", "duration": 150 },
                { "type": "pointerDown", "button": 0 },
                { "type": "pause", "duration": 150 },
                { "type": "pointerUp", "button": 0 },
                { "type": "pause", "duration": 150 }
            ]
        }] });
        self.call("POST", "/actions", Some(&body));
    }

    /// Chooses the file at `path` in the page's file input `selector`, as the browser's file
    /// dialog would (WebDriver sets an input's files by sending it their paths).
    pub fn choose_file(&self, selector: &str, path: &Path) {
        let found = self.call(
            "POST",
            "/element",
            Some(&json!({ "using": "css selector", "value": selector })),
        );
        let element = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {selector}: {found}"))
            .to_owned();
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(&json!({ "text": path.display().to_string() })),
        );
    }

    /// The page as a PNG.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let value = self.call("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(self.addr, "DELETE", &format!("/session/{}", self.id), None);
    }
}

/// One WebDriver command: its `value`, or a panic with the driver's error.
fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let answer = http(addr, method, path, body)
        .unwrap_or_else(|e| panic!("{method} {path}: chromedriver: {e}"));
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error") {
        panic!("{method} {path}: {error}: {}", value["message"]);
    }
    value
}

/// An HTTP/1.1 request with a JSON body, answered as JSON; the connection is closed after it.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<Value> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // chromedriver keeps the connection open whatever the request says: the answer ends where
    // its length says.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let content = loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(end)) = response.parse(&raw) {
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| {
                    std::str::from_utf8(h.value)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .ok_or_else(|| std::io::Error::other("an answer without a length"))?;
            if raw.len() >= end + length {
                break raw[end..end + length].to_vec();
            }
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other("the answer was cut short"));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    serde_json::from_slice(&content).map_err(std::io::Error::other)
}
