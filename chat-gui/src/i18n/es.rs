//! Español.

use chat_core::limits::{
    AGE_MAX_YEARS, AGE_MIN_YEARS, CLIENT_NAME_MAX_BYTES, LOGIN_MAX_CHARS, LOGIN_MIN_CHARS,
    NAME_MAX_CHARS, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, ROOM_MAX_CHARS, ROOM_MIN_CHARS,
    TEXT_MAX_CHARS,
};
use chat_core::protocol::{CloseReason, ErrorCode, Field, Gender, Presence};
use chat_model::commands::Cmd;

use super::{CommandText, Texts};

/// Español.
pub static ES: Texts = Texts {
    connect_title: "Conectarse a un servidor de chat",
    connect_intro: "Escriba la dirección del servidor (host:puerto), o aloje uno aquí para otros.",
    address: "Dirección del servidor",
    address_hint: "host:puerto, p. ej. 192.168.1.20:7878 (un clúster: varios, separados por comas)",
    connect: "Conectar",
    connecting: "Conectando…",
    cancel: "Cancelar",
    close: "Cerrar",
    host_title: "Alojar un servidor aquí",
    host_intro: "Inicie un servidor dentro de este programa para que otros en su red se unan.",
    port: "Puerto",
    host_start: "Iniciar servidor",
    host_stop: "Detener servidor",
    host_starting: "Iniciando el servidor…",
    host_running: "Servidor en marcha. Otros se conectan a {0}",
    host_failed: "El servidor no pudo iniciar en el puerto {0}. ¿Lo usa otro programa?",
    host_no_folder: "Este sistema no tiene una carpeta para los datos del programa, donde se guardarían las cuentas.",
    host_bad_port: "El puerto debe ser un número de 1 a 65535.",
    left_server: "Salió del servidor. ¡Hasta pronto!",
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
    passwords_differ: "Las contraseñas no coinciden.",
    rooms: "Salas",
    members: "En esta sala",
    conversations: "Mensajes privados",
    no_conversations: "Haga clic en el nombre de alguien para escribirle en privado.",
    new_room: "Nueva sala…",
    room_name: "Nombre de la sala",
    create: "Crear",
    enter: "Entrar",
    leave_room: "Salir de la sala",
    delete_room: "Eliminar sala…",
    list_rooms: "Listar las salas en el chat",
    users: "Usuarios",
    log_out: "Cerrar sesión",
    send: "Enviar",
    message_hint: "Mensaje para {0}",
    message_input: "Mensaje",
    input_keys: "Intro envía · Mayús+Intro nueva línea · Tab completa · # comandos",
    input_keys_private: "Intro envía · Mayús+Intro nueva línea · :nombre: para emoji",
    new_messages: "{0} mensajes nuevos",
    members_more: "y {0} más",
    default_room_mark: "sala por defecto",
    created_by: "creada por {0}",
    you: "usted",
    menu_room: "Sala",
    menu_view: "Ver",
    theme: "Tema",
    theme_system: "Sistema",
    theme_light: "Claro",
    theme_dark: "Oscuro",
    language: "Idioma",
    emoji: "Emoji",
    too_many_lines: "Se pueden enviar como máximo {0} líneas a la vez.",
    unread: "{0} sin leer",
    window_title: "Chat",
    window_title_unread: "({0}) Chat",
    delete_title: "¿Eliminar {0}?",
    delete_body: "Todos en {0} pasan a {1}. No se puede deshacer.",
    delete_confirm: "Eliminar",
    line_joined: "{0} entró",
    line_left: "{0} salió",
    line_entered: "Está en {0}",
    line_closed_deleted: "{0} fue eliminada por su creador",
    line_closed_creator_left: "{0} se cerró: su creador se fue",
    line_you_deleted: "Eliminó {0}",
    line_moved: "{0}. Está en {1}",
    line_room_list: "Salas",
    line_lost: "Se perdió la conexión",
    line_back: "Conectado de nuevo",
    line_help: "Comandos",
    line_help_footer: "Cualquier otro texto va a todos en la sala; empiece con ## para enviar un # inicial.",
    unknown_command: "{0} no es un comando. Escriba #help para verlos.",
    usage: "Escríbalo así: {0}",
    field_problem: "{0}: {1}",
    users_title: "Usuarios",
    users_count: "{0} en línea, {1} registrados",
    online: "en línea",
    offline: "desconectado",
    in_room: "en {0}",
    refresh: "Actualizar",
    write_to: "Escribir a {0}",
    private_title: "Privado: {0}",
    private_hint: "Mensaje para {0}",
    private_with: "Conversación privada con {0}",
    dock: "Mostrar en la ventana principal",
    undock: "Abrir en su propia ventana",
    back_to_room: "Volver a {0}",
    status_offline: "Sin conexión",
    status_connecting: "Conectando a {0}…",
    status_connected: "Conectado a {0}",
    status_logged_in: "{0} en {1}",
    status_reconnecting: "Reconectando a {0}…",
    server_time: "Hora del servidor",
    offset: "desfase",
    round_trip: "ida y vuelta",
    fingerprint: "Huella del certificado",
    banner_lost: "Se perdió la conexión: {0}",
    banner_retry_in: "Nuevo intento en {0} s (intento {1}).",
    banner_trying: "Reconectando…",
    banner_still_down: "Aún no se puede llegar al servidor.",
    reconnect_now: "Reconectar ya",
    why_unresolved: "no se encontró la dirección del servidor",
    why_refused: "el servidor rechazó la conexión. ¿Está en marcha y el puerto es correcto?",
    why_timed_out: "el servidor no respondió a tiempo",
    why_version: "el servidor habla otra versión del protocolo; hay que actualizar este programa",
    why_closed: "el servidor cerró la conexión: {0}",
    why_by_client: "desconectado",
    why_lost: "la conexión se rompió",
    why_cert_changed: "ADVERTENCIA: el certificado del servidor cambió. Era {0} y ahora es {1}. Alguien podría estar interceptando la conexión; continúe solo si el operador del servidor confirma la nueva huella.",
    why_tls: "no se pudo establecer la conexión segura",
    trust_new_certificate: "Confiar en el nuevo certificado",
    encrypted: "Cifrado",
    not_encrypted: "Sin cifrar",
    trust_authority: "certificado firmado por una autoridad",
    trust_pinned: "el mismo certificado de antes",
    trust_first_use: "certificado aceptado en el primer uso",
    trust_replaced: "nuevo certificado aceptado",
    keep_signed_in: "Mantener la sesión iniciada en este equipo",
    keep_signed_in_hint: "Recuerda su sesión (nunca su contraseña) hasta que cierre sesión.",
    resuming: "Iniciando su sesión como {0}…",
    retry_in: "Vuelva a intentarlo en {0} s.",
    retrying_in: "Se intentará de nuevo solo en {0} s…",
    log_out_everywhere: "Cerrar sesión en todas partes",
    log_out_everywhere_hint: "Cierra sus sesiones en todos los equipos, también en este.",
    menu_status: "Estado",
    away_message: "Mensaje de ausencia",
    set_away: "Marcar ausente",
    away_says: "ausente: {0}",
    earlier_messages: "Mensajes anteriores",
    loading_earlier: "Cargando mensajes anteriores…",
    kept_for_later: "Guardado por el servidor: se entrega cuando inicie sesión",
    sent_while_away: "Enviado mientras no estaba · {0}",
    line_kept_dropped: "Se perdieron {0} mensajes privados antiguos guardados para usted: el servidor guarda como mucho 1.000.",
    typing: "{0} está escribiendo…",
    find: "Buscar",
    find_count: "{0} de {1}",
    find_none: "Sin resultados",
    find_older: "Resultado anterior",
    find_newer: "Resultado siguiente",
    find_here: "Buscar en esta conversación (Ctrl+F)",
    search_all: "Buscar en todo (Ctrl+Mayús+F)",
    search_title: "Buscar en todas las salas y conversaciones",
    search_field: "Buscar",
    search_found: "{0} encontrados",
    search_none: "No se encontró nada en lo que este programa ha visto.",
    export: "Guardar una copia…",
    export_title: "Guardar una copia de {0}",
    line_saved: "Guardado en {0}",
    line_save_failed: "No se pudo guardar en {0}",
    notifications: "Notificaciones del escritorio",
    notify_private: "{0} (privado)",
    notify_mention: "{0} en {1}",
    notify_kept: "Mientras no estaba",
    error,
    field,
    field_rule,
    gender_name,
    command,
    close_reason,
    member_count,
    presence,
    kept_summary,
};

fn error(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        VersionMismatch => "El servidor habla otra versión del protocolo.",
        HelloRequired => "El programa debe saludar primero al servidor.",
        LoginRequired => "Inicie sesión primero.",
        AlreadyLoggedIn => "Ya inició sesión.",
        Invalid => "Algo de lo escrito no es válido.",
        LoginTaken => "Ese usuario ya existe; elija otro.",
        BadCredentials => "Usuario o contraseña incorrectos.",
        BadToken => "Su sesión terminó; entre con su contraseña.",
        RoomExists => "Ya existe una sala con ese nombre.",
        RoomNotFound => "No hay ninguna sala con ese nombre.",
        NotRoomCreator => "Solo el creador de la sala puede eliminarla.",
        DefaultRoom => "La sala por defecto no se puede eliminar.",
        UserNotFound => "No hay ningún usuario con ese nombre.",
        UserOffline => "Ese usuario no está conectado.",
        TooManyRooms => {
            "No se pueden crear más salas ahora; elimine una primero o intente más tarde."
        }
        Malformed => "El servidor no pudo leer un mensaje.",
        FrameTooLarge => "Un mensaje era demasiado grande.",
        ServerBusy => "El servidor está ocupado; intente en un momento.",
        RateLimited => "Demasiados intentos; espere un momento e intente de nuevo.",
        MessageNotFound => "Ese mensaje ya no está.",
        NotAllowed => "Eso no le corresponde.",
        Muted => "Está silenciado en esta sala por ahora.",
        SlowMode => "Esta sala está en modo lento; espere un momento antes de escribir de nuevo.",
        RemovedFromRoom => "Lo sacaron de esa sala.",
        TooManyReactions => "Ese mensaje tiene todas las reacciones distintas que puede tener.",
        Internal | Unknown => "El servidor falló; intente de nuevo.",
    }
}

fn field(field: Field) -> &'static str {
    match field {
        Field::FirstNames => "Nombres",
        Field::LastNames => "Apellidos",
        Field::Login => "Usuario",
        Field::Password => "Contraseña",
        Field::Age => "Edad",
        Field::Gender => "Género",
        Field::Room => "Nombre de la sala",
        Field::Text => "Mensaje",
        Field::Client => "Nombre del programa",
        Field::Version => "Versión del protocolo",
        Field::To => "Destinatario",
        Field::Token => "Sesión",
        Field::Offset => "Posición en la lista",
        Field::All => "En todas partes",
        Field::Before => "Posición en el historial",
        Field::With => "Conversación",
        Field::ReplyTo => "Mensaje respondido",
        Field::Line => "Número de mensaje",
        Field::Emoji => "Emoticono",
        Field::On => "Reacción",
        Field::Receipt => "Confirmación de lectura",
        Field::Action => "Acción",
        Field::Seconds => "Duración",
        Field::Reason => "Motivo",
        Field::Topic => "Tema",
        Field::Unknown => "Campo",
    }
}

fn field_rule(field: Field) -> String {
    match field {
        Field::FirstNames | Field::LastNames => format!(
            "de 1 a {NAME_MAX_CHARS} caracteres con al menos una letra, sin espacios en los extremos"
        ),
        Field::Login => format!(
            "de {LOGIN_MIN_CHARS} a {LOGIN_MAX_CHARS} caracteres: letras a–z sin tildes, dígitos, '.', '_' o '-'"
        ),
        Field::Password => format!(
            "de {PASSWORD_MIN_BYTES} a {PASSWORD_MAX_BYTES} bytes (las letras con tilde cuentan doble), sin caracteres de control"
        ),
        Field::Age => format!("un número entero de {AGE_MIN_YEARS} a {AGE_MAX_YEARS}"),
        Field::Gender => "una de las opciones ofrecidas".to_owned(),
        Field::Room => format!(
            "de {ROOM_MIN_CHARS} a {ROOM_MAX_CHARS} caracteres: letras, dígitos, '.', '_' o '-', sin espacios"
        ),
        Field::Text => format!("de 1 a {TEXT_MAX_CHARS} caracteres, no solo espacios"),
        Field::Client => format!("como máximo {CLIENT_NAME_MAX_BYTES} bytes"),
        Field::Version => "la versión que habla este programa".to_owned(),
        Field::To | Field::With => format!(
            "un usuario: de {LOGIN_MIN_CHARS} a {LOGIN_MAX_CHARS} caracteres, letras a–z sin tildes, dígitos, '.', '_' o '-'"
        ),
        Field::Token => "una sesión dada por este servidor; entre con su contraseña".to_owned(),
        Field::Offset | Field::Before | Field::ReplyTo | Field::Line | Field::Seconds => {
            "un número entero, 0 o más".to_owned()
        }
        Field::All | Field::On | Field::Receipt => "sí o no".to_owned(),
        Field::Emoji => "un emoticono".to_owned(),
        Field::Action => {
            "silenciar, quitar el silencio, sacar, readmitir, dar voz, quitar la voz o modo lento"
                .to_owned()
        }
        Field::Reason => "como máximo 500 caracteres, en una línea".to_owned(),
        Field::Topic => "como máximo 300 caracteres, en una línea".to_owned(),
        Field::Unknown => "un valor que el servidor acepte".to_owned(),
    }
}

fn gender_name(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "Femenino",
        Gender::Male => "Masculino",
        Gender::NonBinary => "No binario",
        Gender::Other => "Otro",
        Gender::PreferNotToSay => "Prefiero no decirlo",
    }
}

fn command(cmd: Cmd) -> CommandText {
    let (syntax, summary) = match cmd {
        Cmd::CreateRoom => ("#cR <sala>", "crear una sala y entrar en ella"),
        Cmd::EnterRoom => ("#gR <sala>", "entrar a una sala"),
        Cmd::LeaveRoom => ("#eR", "volver a la sala por defecto"),
        Cmd::Exit => ("#exit", "desconectarse"),
        Cmd::ListRooms => ("#lR", "listar las salas y cuántas personas hay en cada una"),
        Cmd::DeleteRoom => ("#dR <sala>", "eliminar una sala que usted creó"),
        Cmd::ShowUsers => ("#show users", "listar todos los usuarios del sistema"),
        Cmd::Private => (
            "#\\private <usuario> <texto>",
            "enviar un mensaje privado a un usuario en cualquier sala",
        ),
        Cmd::Away => (
            "#away [texto]",
            "avisar a los demás que está ausente, con un mensaje opcional",
        ),
        Cmd::Back => ("#back", "avisar que volvió"),
        Cmd::Logout => (
            "#logout [all]",
            "cerrar la sesión aquí (o en todas partes, con all) y desconectarse",
        ),
        Cmd::Help => ("#help", "mostrar esta lista"),
    };
    CommandText { syntax, summary }
}

fn close_reason(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Exit => "hasta luego",
        CloseReason::TakenOver => "su cuenta inició sesión en otro lugar",
        CloseReason::SlowConsumer => "este cliente se quedó demasiado atrás",
        CloseReason::ProtocolError | CloseReason::Unknown => {
            "el servidor no entendió a este cliente"
        }
        CloseReason::ServerShutdown => "el servidor se está apagando",
        CloseReason::HandshakeTimeout => "el inicio de sesión tardó demasiado",
        CloseReason::IdleTimeout => "no se supo de este cliente durante demasiado tiempo",
        CloseReason::TooManyConnections => "el servidor tiene todas las conexiones que permite",
        CloseReason::Flood => "este cliente envió demasiado y muy rápido",
    }
}

fn member_count(n: u32) -> String {
    if n == 1 {
        "1 miembro".to_owned()
    } else {
        format!("{n} miembros")
    }
}

fn presence(presence: Presence) -> &'static str {
    match presence {
        Presence::Online => "en línea",
        Presence::Away => "ausente",
        Presence::Offline => "desconectado",
        Presence::Unknown => "estado desconocido",
    }
}

fn kept_summary(count: usize, from: &str) -> String {
    if count == 1 {
        format!("1 mensaje privado de {from}")
    } else {
        format!("{count} mensajes privados de {from}")
    }
}
