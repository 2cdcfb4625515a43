//! The page's WebSocket, through web-sys: binary messages read as `ArrayBuffer`s, so each is
//! handed on, in order, the moment it arrives.
//!
//! Not a crate's: ewebsock 0.8 switches the socket to `Blob`s on every send, and a `Blob` is read
//! with an asynchronous `FileReader` whose answer comes later (tens of milliseconds in Chromium,
//! which a clock sample counts as network time) and is not promised to keep the messages'
//! order, which a stream of frames cut across messages needs.

use std::rc::Rc;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// What the socket says.
#[derive(Debug)]
pub enum SocketEvent {
    /// The opening handshake succeeded.
    Opened,
    /// A binary message.
    Binary(Vec<u8>),
    /// A text message (the chat sends none).
    Text,
    /// The browser reports an error (it says nothing more to a page).
    Error,
    /// The connection closed, with the close frame's code if one came.
    Closed(u16),
}

/// An open (or opening) WebSocket. Dropped, it stops calling back and closes.
///
/// Architecture Invariant: never dropped from inside its own callback (a closure must outlive
/// its call); the connection retires it there and drops it on the UI's next frame.
pub struct PageSocket {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl PageSocket {
    /// Opens a WebSocket to `url`; `on_event` is called with each event as it happens.
    pub fn open(url: &str, on_event: impl Fn(SocketEvent) + 'static) -> Result<PageSocket, String> {
        let socket = WebSocket::new(url).map_err(|e| format!("{e:?}"))?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let on_event: Rc<dyn Fn(SocketEvent)> = Rc::new(on_event);
        let handler = Rc::clone(&on_event);
        let on_open =
            Closure::<dyn FnMut(Event)>::new(move |_: Event| handler(SocketEvent::Opened));
        let handler = Rc::clone(&on_event);
        let on_message =
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| match e
                .data()
                .dyn_into::<js_sys::ArrayBuffer>(
            ) {
                Ok(buffer) => handler(SocketEvent::Binary(
                    js_sys::Uint8Array::new(&buffer).to_vec(),
                )),
                Err(_) => handler(SocketEvent::Text),
            });
        let handler = Rc::clone(&on_event);
        let on_error =
            Closure::<dyn FnMut(Event)>::new(move |_: Event| handler(SocketEvent::Error));
        let handler = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            handler(SocketEvent::Closed(e.code()));
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(PageSocket {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_error: on_error,
            _on_close: on_close,
        })
    }

    /// Sends `bytes` as one binary message.
    pub fn send(&self, bytes: &[u8]) {
        if let Err(e) = self.socket.send_with_u8_array(bytes) {
            tracing::warn!("WebSocket send failed: {e:?}");
        }
    }

    /// Starts closing (the close event follows, if the callbacks are still there).
    pub fn close(&self) {
        let _ = self.socket.close();
    }
}

impl Drop for PageSocket {
    fn drop(&mut self) {
        // The closures go with this value: the socket must not call them afterwards.
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}
