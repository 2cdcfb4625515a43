//! The interface's words in English and Spanish, switchable while the program runs.
//!
//! Every visible sentence comes from a [`Texts`] table; sentences with values use `{0}`, `{1}`
//! placeholders filled by [`fill`]. Server messages travel structured (codes, fields), so they are
//! worded here too; only free text from the server (and validation reasons in English) is shown
//! as received, with Spanish translations for the known reasons.

use chat_core::client::Disconnect;
use chat_core::protocol::{CloseReason, ErrorCode, Field, Gender, RoomClosedReason};
use serde::{Deserialize, Serialize};

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    /// English.
    English,
    /// Español.
    Spanish,
}

impl Language {
    /// Every language, as the menu offers them.
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Spanish => "Español",
        }
    }

    /// The words of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Language::English => &EN,
            Language::Spanish => &ES,
        }
    }

    /// The language a POSIX locale name (`es_CO.UTF-8`, `en_US`, `C`) asks for.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let lang = locale
            .split(['_', '.', '-', '@'])
            .next()?
            .to_ascii_lowercase();
        match lang.as_str() {
            "es" => Some(Language::Spanish),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// The system's language, from `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set), English
    /// when none names a language we have.
    pub fn from_environment() -> Language {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Language::from_locale(&v))
            .unwrap_or(Language::English)
    }
}

/// Replaces `{0}`, `{1}`, … in `template` with `args`.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = template.to_owned();
    for (i, arg) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), &arg.to_string());
    }
    out
}

/// Every sentence of the interface.
#[derive(Debug)]
pub struct Texts {
    // Connect window.
    pub connect_title: &'static str,
    pub connect_intro: &'static str,
    pub address: &'static str,
    pub address_hint: &'static str,
    pub connect: &'static str,
    pub connecting: &'static str,
    pub cancel: &'static str,
    pub host_title: &'static str,
    pub host_intro: &'static str,
    pub port: &'static str,
    pub host_start: &'static str,
    pub host_stop: &'static str,
    pub host_starting: &'static str,
    pub host_running: &'static str,
    pub host_failed: &'static str,
    pub host_bad_port: &'static str,
    // Login window.
    pub login_title: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub log_in: &'static str,
    pub logging_in: &'static str,
    pub to_register: &'static str,
    pub change_server: &'static str,
    pub registered: &'static str,
    pub connected_to: &'static str,
    // Register window.
    pub register_title: &'static str,
    pub first_names: &'static str,
    pub last_names: &'static str,
    pub confirm_password: &'static str,
    pub age: &'static str,
    pub gender: &'static str,
    pub create_account: &'static str,
    pub to_login: &'static str,
    pub passwords_differ: &'static str,
    pub required: &'static str,
    // Main window.
    pub rooms: &'static str,
    pub members: &'static str,
    pub conversations: &'static str,
    pub no_conversations: &'static str,
    pub new_room: &'static str,
    pub room_name: &'static str,
    pub create: &'static str,
    pub enter: &'static str,
    pub leave_room: &'static str,
    pub delete_room: &'static str,
    pub users: &'static str,
    pub log_out: &'static str,
    pub send: &'static str,
    pub message_hint: &'static str,
    pub message_input: &'static str,
    pub new_messages: &'static str,
    pub members_more: &'static str,
    pub default_room_mark: &'static str,
    pub created_by: &'static str,
    pub you: &'static str,
    pub commands_hint: &'static str,
    pub menu_room: &'static str,
    pub menu_view: &'static str,
    pub theme: &'static str,
    pub theme_system: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub language: &'static str,
    // Lines.
    pub line_joined: &'static str,
    pub line_left: &'static str,
    pub line_entered: &'static str,
    pub line_closed_deleted: &'static str,
    pub line_closed_creator_left: &'static str,
    pub line_deleted: &'static str,
    pub line_room_list: &'static str,
    pub line_room_row: &'static str,
    pub line_lost: &'static str,
    pub line_back: &'static str,
    pub line_help: &'static str,
    // Users and private windows.
    pub users_title: &'static str,
    pub users_count: &'static str,
    pub online: &'static str,
    pub offline: &'static str,
    pub in_room: &'static str,
    pub refresh: &'static str,
    pub write_to: &'static str,
    pub private_title: &'static str,
    pub private_hint: &'static str,
    // Status bar and banner.
    pub status_offline: &'static str,
    pub status_connecting: &'static str,
    pub status_connected: &'static str,
    pub status_logged_in: &'static str,
    pub status_reconnecting: &'static str,
    pub server_time: &'static str,
    pub offset: &'static str,
    pub round_trip: &'static str,
    pub banner_lost: &'static str,
    pub banner_retry_in: &'static str,
    pub banner_trying: &'static str,
    pub reconnect_now: &'static str,
    // Why a connection ended.
    pub why_unresolved: &'static str,
    pub why_refused: &'static str,
    pub why_timed_out: &'static str,
    pub why_version: &'static str,
    pub why_closed: &'static str,
    pub why_by_client: &'static str,
    pub why_lost: &'static str,
    pub why_cert_changed: &'static str,
    pub why_tls: &'static str,
    pub trust_new_certificate: &'static str,
    pub encrypted: &'static str,
    pub not_encrypted: &'static str,
    pub trust_authority: &'static str,
    pub trust_pinned: &'static str,
    pub trust_first_use: &'static str,
    pub trust_replaced: &'static str,
    pub close_exit: &'static str,
    pub close_taken_over: &'static str,
    pub close_slow: &'static str,
    pub close_protocol: &'static str,
    pub close_shutdown: &'static str,
    pub close_handshake: &'static str,
    pub close_idle: &'static str,
    pub close_too_many: &'static str,
    pub close_flood: &'static str,
    // Field names, genders, command summaries, error codes.
    pub fields: [&'static str; 9],
    pub genders: [&'static str; 5],
    pub command_summaries: [&'static str; 12],
    pub errors: [&'static str; 19],
    /// Known English validation reasons and their translation (`{n}` stands for a number).
    pub reasons: &'static [(&'static str, &'static str)],
}

impl Texts {
    /// A field's name.
    pub fn field(&self, field: Field) -> &'static str {
        let i = match field {
            Field::FirstNames => 0,
            Field::LastNames => 1,
            Field::Login => 2,
            Field::Password => 3,
            Field::Age => 4,
            Field::Gender => 5,
            Field::Room => 6,
            Field::Text => 7,
            Field::Client | Field::Version => 8,
            Field::To => 2,
            Field::Token => 3,
            Field::Offset | Field::All | Field::Before | Field::Unknown => 7,
            Field::With => 2,
        };
        self.fields[i]
    }

    /// A gender's name.
    pub fn gender(&self, gender: Gender) -> &'static str {
        let i = Gender::ALL.iter().position(|g| *g == gender).unwrap_or(4);
        self.genders[i]
    }

    /// What an error code means, in words.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        use ErrorCode::*;
        let i = match code {
            VersionMismatch => 0,
            HelloRequired => 1,
            LoginRequired => 2,
            AlreadyLoggedIn => 3,
            Invalid => 4,
            LoginTaken => 5,
            BadCredentials | BadToken => 6,
            RoomExists => 7,
            RoomNotFound => 8,
            NotRoomCreator => 9,
            DefaultRoom => 10,
            UserNotFound => 11,
            UserOffline => 12,
            TooManyRooms => 13,
            Malformed => 14,
            FrameTooLarge => 15,
            ServerBusy => 16,
            Internal | Unknown => 17,
            RateLimited => 18,
        };
        self.errors[i]
    }

    /// A validation reason from `chat-core` (English), in this language when it is known.
    pub fn reason(&self, reason: &str) -> String {
        let digits: Vec<&str> = reason
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .collect();
        let shape: String = {
            let mut out = String::new();
            let mut in_number = false;
            for c in reason.chars() {
                if c.is_ascii_digit() {
                    if !in_number {
                        out.push_str("{n}");
                    }
                    in_number = true;
                } else {
                    in_number = false;
                    out.push(c);
                }
            }
            out
        };
        for (english, translated) in self.reasons {
            if let Some(rest) = shape.strip_prefix(english) {
                let mut out = String::new();
                let mut numbers = digits.iter();
                for (i, part) in translated.split("{n}").enumerate() {
                    if i > 0 {
                        out.push_str(numbers.next().copied().unwrap_or(""));
                    }
                    out.push_str(part);
                }
                out.push_str(rest);
                return out;
            }
        }
        reason.to_owned()
    }

    /// Why a connection ended, in words.
    pub fn disconnect(&self, why: &Disconnect) -> String {
        match why {
            Disconnect::Unresolved(e) => fill(self.why_unresolved, &[e]),
            Disconnect::Refused => self.why_refused.to_owned(),
            Disconnect::TimedOut => self.why_timed_out.to_owned(),
            Disconnect::VersionMismatch(m) => fill(self.why_version, &[m]),
            Disconnect::ServerClosed { reason, .. } => {
                fill(self.why_closed, &[&self.close_reason(*reason)])
            }
            Disconnect::ClosedByClient => self.why_by_client.to_owned(),
            Disconnect::CertificateChanged {
                expected,
                presented,
            } => fill(self.why_cert_changed, &[expected, presented]),
            Disconnect::Tls(e) => fill(self.why_tls, &[e]),
            Disconnect::Lost(e) => fill(self.why_lost, &[e]),
        }
    }

    /// How the server's certificate was trusted, in words.
    pub fn trust(&self, trust: &chat_core::tls::Trust) -> &'static str {
        use chat_core::tls::Trust;
        match trust {
            Trust::Authority => self.trust_authority,
            Trust::Pinned => self.trust_pinned,
            Trust::FirstUse => self.trust_first_use,
            Trust::Replaced => self.trust_replaced,
        }
    }

    /// Why the server closed a connection, in words.
    pub fn close_reason(&self, reason: CloseReason) -> &'static str {
        match reason {
            CloseReason::Exit => self.close_exit,
            CloseReason::TakenOver => self.close_taken_over,
            CloseReason::SlowConsumer => self.close_slow,
            CloseReason::ProtocolError | CloseReason::Unknown => self.close_protocol,
            CloseReason::ServerShutdown => self.close_shutdown,
            CloseReason::HandshakeTimeout => self.close_handshake,
            CloseReason::IdleTimeout => self.close_idle,
            CloseReason::TooManyConnections => self.close_too_many,
            CloseReason::Flood => self.close_flood,
        }
    }

    /// Why a room closed, as a line.
    pub fn room_closed(&self, room: &str, reason: RoomClosedReason) -> String {
        match reason {
            RoomClosedReason::Deleted => fill(self.line_closed_deleted, &[&room]),
            RoomClosedReason::CreatorLeft | RoomClosedReason::Unknown => {
                fill(self.line_closed_creator_left, &[&room])
            }
        }
    }
}

/// English.
pub static EN: Texts = Texts {
    connect_title: "Connect to a chat server",
    connect_intro: "Type the address of the server (host:port), or host one here for others.",
    address: "Server address",
    address_hint: "host:port, e.g. 192.168.1.20:7878",
    connect: "Connect",
    connecting: "Connecting…",
    cancel: "Cancel",
    host_title: "Host a server here",
    host_intro: "Start a server inside this program so others on your network can join.",
    port: "Port",
    host_start: "Start server",
    host_stop: "Stop server",
    host_starting: "Starting the server…",
    host_running: "Hosting a server. Others connect to {0}",
    host_failed: "The server could not start: {0}",
    host_bad_port: "The port must be a number from 1 to 65535.",
    login_title: "Log in",
    login: "Login",
    password: "Password",
    log_in: "Log in",
    logging_in: "Logging in…",
    to_register: "Create an account",
    change_server: "Change server",
    registered: "Account {0} created. Type your password to log in.",
    connected_to: "Connected to {0}",
    register_title: "Create an account",
    first_names: "First names",
    last_names: "Last names",
    confirm_password: "Confirm password",
    age: "Age",
    gender: "Gender",
    create_account: "Create account",
    to_login: "I have an account",
    passwords_differ: "the passwords do not match",
    required: "required",
    rooms: "Rooms",
    members: "In this room",
    conversations: "Private messages",
    no_conversations: "Click a user to write privately.",
    new_room: "New room…",
    room_name: "Room name",
    create: "Create",
    enter: "Enter",
    leave_room: "Leave room",
    delete_room: "Delete room",
    users: "Users",
    log_out: "Log out",
    send: "Send",
    message_hint: "Message {0}, or # for commands",
    message_input: "Message",
    new_messages: "{0} new messages",
    members_more: "and {0} more",
    default_room_mark: "default room",
    created_by: "created by {0}",
    you: "you",
    commands_hint: "Commands",
    menu_room: "Room",
    menu_view: "View",
    theme: "Theme",
    theme_system: "System",
    theme_light: "Light",
    theme_dark: "Dark",
    language: "Language",
    line_joined: "{0} joined",
    line_left: "{0} left",
    line_entered: "You are in {0}",
    line_closed_deleted: "{0} was deleted by its creator",
    line_closed_creator_left: "{0} closed: its creator left",
    line_deleted: "You deleted {0}",
    line_room_list: "Rooms:",
    line_room_row: "{0}: {1} in the room",
    line_lost: "Connection lost",
    line_back: "Connected again",
    line_help: "Commands:",
    users_title: "Users",
    users_count: "{0} online, {1} registered",
    online: "online",
    offline: "offline",
    in_room: "in {0}",
    refresh: "Refresh",
    write_to: "Write to {0}",
    private_title: "Private: {0}",
    private_hint: "Message to {0}",
    status_offline: "Offline",
    status_connecting: "Connecting to {0}…",
    status_connected: "Connected to {0}",
    status_logged_in: "{0} at {1}",
    status_reconnecting: "Reconnecting to {0}…",
    server_time: "Server time",
    offset: "offset",
    round_trip: "round trip",
    banner_lost: "Connection lost: {0}",
    banner_retry_in: "Trying again in {0} s (attempt {1}).",
    banner_trying: "Reconnecting…",
    reconnect_now: "Reconnect now",
    why_unresolved: "the server's address could not be found ({0})",
    why_refused: "the server refused the connection. Is it running, and is the port right?",
    why_timed_out: "the server did not answer in time",
    why_version: "the server speaks another protocol version ({0})",
    why_closed: "the server closed the connection: {0}",
    why_by_client: "disconnected",
    why_lost: "the connection broke ({0})",
    why_cert_changed: "WARNING: the server's certificate changed. It was {0} and is now {1}. Someone may be intercepting the connection; go on only if the server's operator confirms the new fingerprint.",
    why_tls: "the secure connection failed ({0})",
    trust_new_certificate: "Trust the new certificate",
    encrypted: "Encrypted",
    not_encrypted: "Not encrypted",
    trust_authority: "certificate signed by an authority",
    trust_pinned: "same certificate as before",
    trust_first_use: "certificate trusted on first use",
    trust_replaced: "new certificate accepted",
    close_exit: "goodbye",
    close_taken_over: "your account logged in somewhere else",
    close_slow: "this client fell too far behind",
    close_protocol: "the server did not understand this client",
    close_shutdown: "the server is shutting down",
    close_handshake: "logging in took too long",
    close_idle: "nothing was heard from this client for too long",
    close_too_many: "the server has as many connections as it allows",
    close_flood: "this client sent too much too fast",
    fields: [
        "First names",
        "Last names",
        "Login",
        "Password",
        "Age",
        "Gender",
        "Room name",
        "Message",
        "Client",
    ],
    genders: ["Female", "Male", "Non-binary", "Other", "Prefer not to say"],
    command_summaries: [
        "create a room and enter it",
        "enter a room",
        "go back to the default room",
        "disconnect",
        "list rooms and how many people are in each",
        "delete a room you created",
        "list every user of the system",
        "send a private message to a user in any room",
        "tell others you are away, with an optional message",
        "you are back",
        "sign out here (or everywhere, with all) and disconnect",
        "show this list",
    ],
    errors: [
        "the server speaks another protocol version",
        "the client must say hello first",
        "log in first",
        "already logged in",
        "that is not valid",
        "that login is taken; choose another",
        "wrong login or password",
        "a room with that name already exists",
        "there is no room with that name",
        "only the room's creator can delete it",
        "the default room cannot be deleted",
        "there is no user with that login",
        "that user is not connected",
        "the server has as many rooms as it allows; try again later",
        "the server could not read a message",
        "a message was too large",
        "the server is busy; try again in a moment",
        "the server failed; try again",
        "too many attempts; wait a moment and try again",
    ],
    reasons: &[],
};

/// Español.
pub static ES: Texts = Texts {
    connect_title: "Conectarse a un servidor de chat",
    connect_intro: "Escriba la dirección del servidor (host:puerto), o aloje uno aquí para otros.",
    address: "Dirección del servidor",
    address_hint: "host:puerto, p. ej. 192.168.1.20:7878",
    connect: "Conectar",
    connecting: "Conectando…",
    cancel: "Cancelar",
    host_title: "Alojar un servidor aquí",
    host_intro: "Inicie un servidor dentro de este programa para que otros en su red se unan.",
    port: "Puerto",
    host_start: "Iniciar servidor",
    host_stop: "Detener servidor",
    host_starting: "Iniciando el servidor…",
    host_running: "Servidor en marcha. Otros se conectan a {0}",
    host_failed: "El servidor no pudo iniciar: {0}",
    host_bad_port: "El puerto debe ser un número de 1 a 65535.",
    login_title: "Iniciar sesión",
    login: "Usuario",
    password: "Contraseña",
    log_in: "Entrar",
    logging_in: "Entrando…",
    to_register: "Crear una cuenta",
    change_server: "Cambiar de servidor",
    registered: "Cuenta {0} creada. Escriba su contraseña para entrar.",
    connected_to: "Conectado a {0}",
    register_title: "Crear una cuenta",
    first_names: "Nombres",
    last_names: "Apellidos",
    confirm_password: "Confirmar contraseña",
    age: "Edad",
    gender: "Género",
    create_account: "Crear cuenta",
    to_login: "Ya tengo una cuenta",
    passwords_differ: "las contraseñas no coinciden",
    required: "obligatorio",
    rooms: "Salas",
    members: "En esta sala",
    conversations: "Mensajes privados",
    no_conversations: "Haga clic en un usuario para escribirle en privado.",
    new_room: "Nueva sala…",
    room_name: "Nombre de la sala",
    create: "Crear",
    enter: "Entrar",
    leave_room: "Salir de la sala",
    delete_room: "Eliminar sala",
    users: "Usuarios",
    log_out: "Cerrar sesión",
    send: "Enviar",
    message_hint: "Mensaje para {0}, o # para comandos",
    message_input: "Mensaje",
    new_messages: "{0} mensajes nuevos",
    members_more: "y {0} más",
    default_room_mark: "sala por defecto",
    created_by: "creada por {0}",
    you: "usted",
    commands_hint: "Comandos",
    menu_room: "Sala",
    menu_view: "Ver",
    theme: "Tema",
    theme_system: "Sistema",
    theme_light: "Claro",
    theme_dark: "Oscuro",
    language: "Idioma",
    line_joined: "{0} entró",
    line_left: "{0} salió",
    line_entered: "Está en {0}",
    line_closed_deleted: "{0} fue eliminada por su creador",
    line_closed_creator_left: "{0} se cerró: su creador se fue",
    line_deleted: "Eliminó {0}",
    line_room_list: "Salas:",
    line_room_row: "{0}: {1} en la sala",
    line_lost: "Se perdió la conexión",
    line_back: "Conectado de nuevo",
    line_help: "Comandos:",
    users_title: "Usuarios",
    users_count: "{0} en línea, {1} registrados",
    online: "en línea",
    offline: "desconectado",
    in_room: "en {0}",
    refresh: "Actualizar",
    write_to: "Escribir a {0}",
    private_title: "Privado: {0}",
    private_hint: "Mensaje para {0}",
    status_offline: "Sin conexión",
    status_connecting: "Conectando a {0}…",
    status_connected: "Conectado a {0}",
    status_logged_in: "{0} en {1}",
    status_reconnecting: "Reconectando a {0}…",
    server_time: "Hora del servidor",
    offset: "desfase",
    round_trip: "ida y vuelta",
    banner_lost: "Se perdió la conexión: {0}",
    banner_retry_in: "Nuevo intento en {0} s (intento {1}).",
    banner_trying: "Reconectando…",
    reconnect_now: "Reconectar ya",
    why_unresolved: "no se encontró la dirección del servidor ({0})",
    why_refused: "el servidor rechazó la conexión. ¿Está en marcha y el puerto es correcto?",
    why_timed_out: "el servidor no respondió a tiempo",
    why_version: "el servidor habla otra versión del protocolo ({0})",
    why_closed: "el servidor cerró la conexión: {0}",
    why_by_client: "desconectado",
    why_lost: "la conexión se rompió ({0})",
    why_cert_changed: "ADVERTENCIA: el certificado del servidor cambió. Era {0} y ahora es {1}. Alguien podría estar interceptando la conexión; continúe solo si el operador del servidor confirma la nueva huella.",
    why_tls: "falló la conexión segura ({0})",
    trust_new_certificate: "Confiar en el nuevo certificado",
    encrypted: "Cifrado",
    not_encrypted: "Sin cifrar",
    trust_authority: "certificado firmado por una autoridad",
    trust_pinned: "el mismo certificado de antes",
    trust_first_use: "certificado aceptado en el primer uso",
    trust_replaced: "nuevo certificado aceptado",
    close_exit: "hasta luego",
    close_taken_over: "su cuenta inició sesión en otro lugar",
    close_slow: "este cliente se quedó demasiado atrás",
    close_protocol: "el servidor no entendió a este cliente",
    close_shutdown: "el servidor se está apagando",
    close_handshake: "el inicio de sesión tardó demasiado",
    close_idle: "no se supo de este cliente durante demasiado tiempo",
    close_too_many: "el servidor tiene todas las conexiones que permite",
    close_flood: "este cliente envió demasiado y muy rápido",
    fields: [
        "Nombres",
        "Apellidos",
        "Usuario",
        "Contraseña",
        "Edad",
        "Género",
        "Nombre de sala",
        "Mensaje",
        "Cliente",
    ],
    genders: [
        "Femenino",
        "Masculino",
        "No binario",
        "Otro",
        "Prefiero no decirlo",
    ],
    command_summaries: [
        "crear una sala y entrar en ella",
        "entrar a una sala",
        "volver a la sala por defecto",
        "desconectarse",
        "listar las salas y cuántas personas hay en cada una",
        "eliminar una sala que usted creó",
        "listar todos los usuarios del sistema",
        "enviar un mensaje privado a un usuario en cualquier sala",
        "avisar a los demás que está ausente, con un mensaje opcional",
        "avisar que volvió",
        "cerrar la sesión aquí (o en todas partes, con all) y desconectarse",
        "mostrar esta lista",
    ],
    errors: [
        "el servidor habla otra versión del protocolo",
        "el cliente debe saludar primero",
        "inicie sesión primero",
        "ya inició sesión",
        "eso no es válido",
        "ese usuario ya existe; elija otro",
        "usuario o contraseña incorrectos",
        "ya existe una sala con ese nombre",
        "no hay ninguna sala con ese nombre",
        "solo el creador de la sala puede eliminarla",
        "la sala por defecto no se puede eliminar",
        "no hay ningún usuario con ese nombre",
        "ese usuario no está conectado",
        "el servidor tiene todas las salas que permite; intente más tarde",
        "el servidor no pudo leer un mensaje",
        "un mensaje era demasiado grande",
        "el servidor está ocupado; intente en un momento",
        "el servidor falló; intente de nuevo",
        "demasiados intentos; espere un momento e intente de nuevo",
    ],
    reasons: &[
        (
            "must be {n} to {n} characters long",
            "debe tener de {n} a {n} caracteres",
        ),
        (
            "may only use letters a-z, digits, '.', '_' and '-'",
            "solo admite letras a-z, dígitos, '.', '_' y '-'",
        ),
        (
            "may only use letters, digits, '.', '_' and '-'",
            "solo admite letras, dígitos, '.', '_' y '-'",
        ),
        (
            "must be at least {n} characters long",
            "debe tener al menos {n} caracteres",
        ),
        (
            "must be at most {n} bytes long",
            "debe tener como máximo {n} bytes",
        ),
        (
            "must be at most {n} characters long",
            "debe tener como máximo {n} caracteres",
        ),
        (
            "must not contain control characters",
            "no debe contener caracteres de control",
        ),
        ("must not be empty", "no puede estar vacío"),
        (
            "must not start or end with spaces",
            "no debe empezar ni terminar con espacios",
        ),
        (
            "must contain at least one letter",
            "debe contener al menos una letra",
        ),
        ("must be between {n} and {n}", "debe estar entre {n} y {n}"),
        ("must be a whole number", "debe ser un número entero"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_picks_the_language() {
        assert_eq!(
            Language::from_locale("es_CO.UTF-8"),
            Some(Language::Spanish)
        );
        assert_eq!(Language::from_locale("en_US"), Some(Language::English));
        assert_eq!(Language::from_locale("C"), None);
        assert_eq!(Language::from_locale(""), None);
    }

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(fill("{0} en {1}", &[&"ana", &"lobby"]), "ana en lobby");
    }

    #[test]
    fn every_validation_reason_of_the_core_has_a_spanish_wording() {
        use chat_core::validate;
        let samples = [
            validate::login("a"),
            validate::login("ana maría"),
            validate::password("short"),
            validate::password(&"x".repeat(100)),
            validate::person_name(Field::FirstNames, ""),
            validate::person_name(Field::FirstNames, " Ana"),
            validate::person_name(Field::FirstNames, "123"),
            validate::person_name(Field::FirstNames, &"a".repeat(100)),
            validate::parse_age("abc").map(|_| ()),
            validate::parse_age("7").map(|_| ()),
            validate::room(""),
            validate::room(&"r".repeat(100)),
            validate::room("a b"),
            validate::text(""),
        ];
        for sample in samples {
            let Err(chat_core::Error::Invalid { reason, .. }) = sample else {
                panic!("expected a validation error, got {sample:?}");
            };
            let spanish = ES.reason(&reason);
            assert_ne!(spanish, reason, "no Spanish wording for {reason:?}");
            assert_eq!(EN.reason(&reason), reason);
        }
        assert_eq!(
            ES.reason("must be 3 to 32 characters long"),
            "debe tener de 3 a 32 caracteres"
        );
    }

    #[test]
    fn both_languages_word_every_command() {
        assert_eq!(
            EN.command_summaries.len(),
            chat_core::command::COMMANDS.len()
        );
    }
}
