//! Showing desktop notifications: the [`Notifier`] the app hands worded alerts to, and
//! [`Desktop`], which gives them to the system (notify-rust), or in a browser to its
//! Notification API when the user allowed it. Which lines deserve one is decided
//! in `chat_model::notify`.
//!
//! Architecture Invariant: showing a notification never blocks the UI thread and never fails
//! the program. [`Desktop`] hands notifications to a thread of its own (a D-Bus call may wait
//! for a daemon that is not there); a system without notifications gets a line in the log.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::mpsc;

/// A notification worded for the system: a title and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The title line.
    pub title: String,
    /// The text.
    pub body: String,
}

/// Shows notifications on the desktop. Tests use one that records what it was asked.
pub trait Notifier {
    /// Shows one notification; must return at once and never fail.
    fn show(&mut self, notification: Shown);
}

/// The system's notifications (notify-rust), shown from a thread of their own.
#[derive(Debug, Default)]
pub struct Desktop {
    #[cfg(not(target_arch = "wasm32"))]
    to_thread: Option<mpsc::Sender<Shown>>,
}

/// The longest text a notification shows; the rest is in the window.
const MAX_BODY_CHARS: usize = 240;

#[cfg(not(target_arch = "wasm32"))]
impl Notifier for Desktop {
    fn show(&mut self, notification: Shown) {
        if self.to_thread.is_none() {
            let (tx, rx) = mpsc::channel::<Shown>();
            let started = std::thread::Builder::new()
                .name("notifications".into())
                .spawn(move || {
                    for n in rx {
                        show_on_desktop(&n);
                    }
                });
            match started {
                Ok(_) => self.to_thread = Some(tx),
                Err(e) => {
                    tracing::warn!("notifications are off: no thread for them: {e}");
                    return;
                }
            }
        }
        if let Some(tx) = &self.to_thread
            && tx.send(notification).is_err()
        {
            self.to_thread = None;
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn show_on_desktop(n: &Shown) {
    let body: String = n.body.chars().take(MAX_BODY_CHARS).collect();
    let mut notification = notify_rust::Notification::new();
    notification.summary(&n.title).body(&body).appname("Chat");
    #[cfg(all(unix, not(target_os = "macos")))]
    notification.hint(notify_rust::Hint::DesktopEntry(
        crate::limits::APP_ID.to_owned(),
    ));
    // Without a notification service (no D-Bus session, as on a server or in CI) this fails:
    // the window's title and badges still say what arrived.
    if let Err(e) = notification.show() {
        tracing::info!("desktop notification not shown: {e}");
    }
}

/// In a browser: the Notification API, when the user allowed it; the first notification asks
/// (browsers let a page ask once, and show nothing until the answer is yes).
#[cfg(target_arch = "wasm32")]
impl Notifier for Desktop {
    fn show(&mut self, n: Shown) {
        use web_sys::{Notification, NotificationOptions, NotificationPermission};
        match Notification::permission() {
            NotificationPermission::Granted => {
                let body: String = n.body.chars().take(MAX_BODY_CHARS).collect();
                let options = NotificationOptions::new();
                options.set_body(&body);
                if let Err(e) = Notification::new_with_options(&n.title, &options) {
                    tracing::info!("browser notification not shown: {e:?}");
                }
            }
            NotificationPermission::Default => {
                // The answer comes later; this notification is not shown, the next ones are.
                if let Err(e) = Notification::request_permission() {
                    tracing::info!("notifications not available: {e:?}");
                }
            }
            _ => {}
        }
    }
}
