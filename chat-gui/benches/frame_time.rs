//! Frame time of the chat window with 10,000 wrapped messages of mixed length in the room:
//! following the newest line, scrolling up through the history with the mouse wheel, sweeping
//! through all of it quickly, and resizing the window, at the bottom and half-way up.
//!
//! A frame here is what the program's UI thread does for each repaint: the whole app's `ui`
//! (every panel, the message view, the box) and tessellation into triangles, on a real egui
//! context. Only handing the triangles to the GPU is left out. The client is logged in to a real
//! server (in-process, port 0) over TCP; the 10,000 messages are then added to the room's history
//! directly, as if they had arrived.
//!
//! Run with `cargo bench -p chat-gui --bench frame_time` (release build). Prints one line per
//! scenario: frames, p50, p99 and the slowest frame, in milliseconds.

use std::time::{Duration, Instant};

use chat_core::client::{self, ClientOptions, Event};
use chat_core::protocol::{Gender, Password, Registration, Request, ServerMessage};
use chat_gui::autopilot::Autopilot;
use chat_gui::settings::{Settings, Theme};
use chat_gui::{AppOptions, ChatApp};
use egui::{Event as Input, MouseWheelUnit, Pos2, RawInput, Rect, Vec2, pos2, vec2};

const MESSAGES: usize = 10_000;
const SIZE: Vec2 = vec2(1280.0, 800.0);
const PASSWORD: &str = "frame-time-password";

/// An egui context driving the app as eframe would.
struct Window {
    ctx: egui::Context,
    app: ChatApp,
    size: Vec2,
    time: f64,
    pointer: Pos2,
}

impl Window {
    /// One frame with these input events; returns how long it took.
    fn frame(&mut self, events: Vec<Input>) -> Duration {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, self.size)),
            time: Some(self.time),
            predicted_dt: 1.0 / 60.0,
            events,
            ..RawInput::default()
        };
        let started = Instant::now();
        let app = &mut self.app;
        let mut output = self.ctx.run_ui(input, |ui| app.show(ui));
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let took = started.elapsed();
        // A painter would upload the new glyphs to the GPU here.
        output.textures_delta.clear();
        std::hint::black_box(primitives);
        took
    }

    fn wheel(&self, points: f32) -> Vec<Input> {
        vec![
            Input::PointerMoved(self.pointer),
            Input::MouseWheel {
                unit: MouseWheelUnit::Point,
                delta: vec2(0.0, points),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            },
        ]
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = chat_server::ServerConfig::new(dir.path().to_path_buf());
    config.bind = "127.0.0.1:0".into();
    config.default_room = "lobby".into();
    let server = chat_server::start(config).expect("the server starts");
    let addr = server.local_addr().to_string();
    register(&addr, "bench");

    let settings = Settings {
        address: addr,
        locale: Some(chat_gui::i18n::Language::ENGLISH),
        theme: Theme::Dark,
        ..Settings::default()
    };
    let mut app = ChatApp::new(settings, AppOptions::default());
    let script = format!("connect;fill-login=bench,{PASSWORD};login");
    app.set_autopilot(Autopilot::parse(&script).expect("a valid script"));
    let mut window = Window {
        ctx: egui::Context::default(),
        app,
        size: SIZE,
        time: 0.0,
        pointer: pos2(600.0, 400.0),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while window.app.client.chat.room.is_none() {
        assert!(Instant::now() < deadline, "the client did not log in");
        window.frame(Vec::new());
        std::thread::sleep(Duration::from_millis(10));
    }
    fill(&mut window.app);
    // The first frames lay out what is on screen and settle the fonts.
    for _ in 0..30 {
        window.frame(Vec::new());
    }

    println!(
        "frame time with {MESSAGES} wrapped messages, {}x{} points",
        SIZE.x, SIZE.y
    );
    report(
        "at the bottom, nothing happening",
        &mut window,
        300,
        |_, _| Vec::new(),
    );
    report(
        "scrolling up by wheel, 60 pt a frame",
        &mut window,
        600,
        |w, _| w.wheel(60.0),
    );
    report(
        "sweeping up the whole history, 3000 pt a frame",
        &mut window,
        300,
        |w, _| w.wheel(3000.0),
    );
    report(
        "scrolling back down, 3000 pt a frame",
        &mut window,
        300,
        |w, _| w.wheel(-3000.0),
    );
    report("resizing at the bottom", &mut window, 300, resize);
    // Half-way up, then resize there.
    for _ in 0..60 {
        let events = window.wheel(3000.0);
        window.frame(events);
    }
    report("resizing half-way up the history", &mut window, 300, resize);
    drop(window);
    server.shutdown().expect("the server stops");
}

/// Changes the window's size every frame, between 800 and 1400 points wide.
fn resize(w: &mut Window, i: usize) -> Vec<Input> {
    #[allow(clippy::cast_precision_loss)]
    let phase = (i % 120) as f32 / 120.0;
    let wave = (phase * std::f32::consts::TAU).sin();
    w.size = vec2(1100.0 + 300.0 * wave, 800.0 - 100.0 * wave);
    Vec::new()
}

/// Runs `frames` frames with the input `events` gives and prints their times.
fn report(
    what: &str,
    window: &mut Window,
    frames: usize,
    mut events: impl FnMut(&mut Window, usize) -> Vec<Input>,
) {
    let mut times: Vec<Duration> = (0..frames)
        .map(|i| {
            let input = events(window, i);
            window.frame(input)
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((times.len() - 1) as f64 * q).round() as usize;
        times[i].as_secs_f64() * 1000.0
    };
    println!(
        "{what:<48} {frames:>4} frames  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    window.size = SIZE;
    window.frame(Vec::new());
}

/// Adds 10,000 messages of mixed length from a few people to the room, as if they had
/// arrived: one-word answers, sentences, paragraphs, some with emoji.
fn fill(app: &mut ChatApp) {
    const WORDS: &[&str] = &[
        "hola",
        "the",
        "project",
        "meeting",
        "mañana",
        "a",
        "las",
        "cuatro",
        "slides",
        "👍",
        "server",
        "clock",
        "is",
        "synced",
        "🎉",
        "room",
        "¿vienes?",
        "yes",
        "perfect",
        "notes",
        "chapter",
        "three",
        "exercise",
        "deadline",
        "Friday",
        "→",
        "✓",
        "biblioteca",
    ];
    let people = ["ana", "bob", "carol", "dani", "eva"];
    let chat = &mut app.client.chat;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for n in 0..MESSAGES {
        let words = match next() % 10 {
            0..=3 => 1 + next() % 6,
            4..=7 => 8 + next() % 25,
            _ => 40 + next() % 80,
        };
        let text: Vec<&str> = (0..words)
            .map(|_| WORDS[usize::try_from(next() % WORDS.len() as u64).unwrap_or(0)])
            .collect();
        let from = people[usize::try_from(next() % 5).unwrap_or(0)];
        let time = 1_700_000_000_000 + i64::try_from(n).unwrap_or(0) * 20_000;
        chat.apply(
            time,
            &ServerMessage::Message {
                attachments: Vec::new(),
                reply_to: None,
                room: "lobby".into(),
                from: from.into(),
                text: text.join(" "),
                id: 0,
            },
        );
    }
}

/// Creates an account over the protocol.
fn register(addr: &str, login: &str) {
    let connection = client::connect(addr, ClientOptions::default());
    let id = connection.send(Request::Register(Registration {
        first_names: "Frame".into(),
        last_names: "Time".into(),
        login: login.into(),
        password: Password::from(PASSWORD),
        age: 30,
        gender: Gender::PreferNotToSay,
    }));
    loop {
        match connection.events().recv_timeout(Duration::from_secs(30)) {
            Ok(Event::Frame(f)) if f.re == Some(id) => {
                assert!(
                    matches!(f.message, ServerMessage::Registered { .. }),
                    "{f:?}"
                );
                return;
            }
            Ok(Event::Disconnected(d)) => panic!("registration failed: {d}"),
            Ok(_) => {}
            Err(_) => panic!("registration timed out"),
        }
    }
}
