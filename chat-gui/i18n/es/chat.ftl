# Español.

# El nombre del idioma en el idioma mismo, como lo muestra el menú de idiomas.
language-name = Español

connect-title = Conectarse a un servidor de chat
connect-intro = Escriba la dirección del servidor (host:puerto), o aloje uno aquí para otros.
address = Dirección del servidor
address-hint = host:puerto, p. ej. 192.168.1.20:7878 (un clúster: varios, separados por comas)
connect = Conectar
connecting = Conectando…
cancel = Cancelar
close = Cerrar
host-title = Alojar un servidor aquí
host-intro = Inicie un servidor dentro de este programa para que otros en su red se unan.
port = Puerto
host-start = Iniciar servidor
host-stop = Detener servidor
host-starting = Iniciando el servidor…
host-running = Servidor en marcha. Otros se conectan a { $address }
host-failed = El servidor no pudo iniciar en el puerto { $port }. ¿Lo usa otro programa?
host-no-folder = Este sistema no tiene una carpeta para los datos del programa, donde se guardarían las cuentas.
host-bad-port = El puerto debe ser un número de 1 a 65535.
left-server = Salió del servidor. ¡Hasta pronto!
login-title = Iniciar sesión
login = Usuario
password = Contraseña
log-in = Entrar
logging-in = Entrando…
to-register = Crear una cuenta
change-server = Cambiar de servidor
registered = Cuenta { $login } creada. Entrando…
connected-to = Conectado a { $server }
register-title = Crear una cuenta
first-names = Nombres
last-names = Apellidos
confirm-password = Confirmar contraseña
age = Edad
gender = Género
create-account = Crear cuenta
to-login = Ya tengo una cuenta
passwords-differ = Las contraseñas no coinciden.
rooms = Salas
members = En esta sala
conversations = Mensajes privados
no-conversations = Haga clic en el nombre de alguien para escribirle en privado.
new-room = Nueva sala…
room-name = Nombre de la sala
create = Crear
enter = Entrar
leave-room = Salir de la sala
delete-room = Eliminar sala…
list-rooms = Listar las salas en el chat
users = Usuarios
log-out = Cerrar sesión
send = Enviar
message-hint = Mensaje para { $room }
message-input = Mensaje
input-keys = Intro envía · Mayús+Intro nueva línea · Tab completa · # comandos
input-keys-private = Intro envía · Mayús+Intro nueva línea · :nombre: para emoji
new-messages = { $count ->
        [one] { $count } mensaje nuevo
       *[other] { $count } mensajes nuevos
    }
members-more = y { $count } más
default-room-mark = sala por defecto
created-by = creada por { $creator }
you = usted
menu-room = Sala
menu-view = Ver
theme = Tema
theme-system = Sistema
theme-light = Claro
theme-dark = Oscuro
language = Idioma
emoji = Emoji
too-many-lines = Se pueden enviar como máximo { $count } líneas a la vez.
unread = { $count } sin leer
window-title = Chat
window-title-unread = ({ $count }) Chat
delete-title = ¿Eliminar { $room }?
delete-body = Todos en { $room } pasan a { $default }. No se puede deshacer.
quit-title = ¿Salir con archivos en camino?
quit-body = Aún se están enviando o recibiendo archivos. Si sales ahora se detienen, y los mensajes que esperan sus archivos no se envían.
quit-confirm = Salir
delete-confirm = Eliminar
line-joined = { $login } entró
line-left = { $login } salió
line-entered = Está en { $room }
line-closed-deleted = { $room } fue eliminada por su creador
line-closed-creator-left = { $room } se cerró: su creador se fue
line-you-deleted = Eliminó { $room }
line-moved = { $why }. Está en { $room }
line-room-list = Salas
line-lost = Se perdió la conexión
line-back = Conectado de nuevo
line-help = Comandos
line-help-footer = Cualquier otro texto va a todos en la sala; empiece con ## para enviar un # inicial.
unknown-command = { $command } no es un comando. Escriba #help para verlos.
usage = Escríbalo así: { $syntax }
field-problem = { $field }: { $rule }
users-title = Usuarios
users-count = { $online } en línea, { $total ->
        [one] { $total } registrado
       *[other] { $total } registrados
    }
online = en línea
offline = desconectado
in-room = en { $room }
refresh = Actualizar
write-to = Escribir a { $login }
private-title = Privado: { $login }
private-hint = Mensaje para { $login }
private-with = Conversación privada con { $login }
dock = Mostrar en la ventana principal
undock = Abrir en su propia ventana
back-to-room = Volver a { $room }
status-offline = Sin conexión
status-connecting = Conectando a { $server }…
status-connected = Conectado a { $server }
status-logged-in = { $login } en { $server }
status-reconnecting = Reconectando a { $server }…
server-time = Hora del servidor
offset = desfase
round-trip = ida y vuelta
fingerprint = Huella del certificado
banner-lost = Se perdió la conexión. { $why }
banner-retry-in = Nuevo intento en { $seconds } s (intento { $attempt }).
banner-trying = Reconectando…
banner-still-down = Aún no se puede llegar al servidor.
reconnect-now = Reconectar ya
why-unresolved = No se encontró la dirección del servidor.
why-refused = El servidor rechazó la conexión. ¿Está en marcha y el puerto es correcto?
why-timed-out = El servidor no respondió a tiempo.
why-version = El servidor habla otra versión del protocolo; hay que actualizar este programa.
why-closed = El servidor cerró la conexión: { $reason }.
why-by-client = Desconectado.
why-lost = La conexión se rompió.
why-cert-changed = ADVERTENCIA: el certificado del servidor cambió. Era { $expected } y ahora es { $presented }. Alguien podría estar interceptando la conexión; continúe solo si el operador del servidor confirma la nueva huella.
why-tls = No se pudo establecer la conexión segura.
trust-new-certificate = Confiar en el nuevo certificado
encrypted = Cifrado
not-encrypted = Sin cifrar
trust-authority = certificado firmado por una autoridad
trust-pinned = el mismo certificado de antes
trust-first-use = certificado aceptado en el primer uso
trust-replaced = nuevo certificado aceptado
trust-browser = certificado comprobado por el navegador
keep-signed-in = Mantener la sesión iniciada en este equipo
keep-signed-in-hint = Recuerda su sesión (nunca su contraseña) hasta que cierre sesión.
resuming = Iniciando su sesión como { $login }…
retry-in = Vuelva a intentarlo en { $seconds } s.
retrying-in = Se intentará de nuevo solo en { $seconds } s…
log-out-everywhere = Cerrar sesión en todas partes
log-out-everywhere-hint = Cierra sus sesiones en todos los equipos, también en este.
menu-status = Estado
away-message = Mensaje de ausencia
set-away = Marcar ausente
away-says = ausente: { $text }
earlier-messages = Mensajes anteriores
loading-earlier = Cargando mensajes anteriores…
kept-for-later = Guardado por el servidor: se entrega cuando inicie sesión
sent-while-away = Enviado mientras no estaba · { $time }
line-kept-dropped = { $count ->
        [one] Se perdió { $count } mensaje privado antiguo guardado para usted: el servidor guarda como mucho 1.000.
       *[other] Se perdieron { $count } mensajes privados antiguos guardados para usted: el servidor guarda como mucho 1.000.
    }
typing = { $login } está escribiendo…
find = Buscar
find-count = { $current } de { $total }
find-none = Sin resultados
find-older = Resultado anterior
find-newer = Resultado siguiente
find-here = Buscar en esta conversación (Ctrl+F)
search-all = Buscar en todo (Ctrl+Mayús+F)
search-title = Buscar en todas las salas y conversaciones
search-field = Buscar
search-found = { $count ->
        [one] { $count } encontrado
       *[other] { $count } encontrados
    }
search-none = No se encontró nada en lo que este programa ha visto.
export = Guardar una copia…
export-title = Guardar una copia de { $name }
line-saved = Guardado en { $path }
line-save-failed = No se pudo guardar en { $path }

## Archivos e imágenes.

attach = Adjuntar archivos
attach-drop = Suelta aquí los archivos para adjuntarlos
file-download = Descargar
file-open = Abrir
file-remove = Quitar
file-waiting = Se envía en cuanto se suban sus archivos
file-held = No enviado: un archivo no se pudo subir. Quítalo (✖) para enviar el mensaje sin él.
file-unreadable = No se puede leer este archivo.
file-unwritable = No se puede escribir el archivo en esta carpeta.
file-corrupt = Lo que llegó no es el archivo enviado; descárgalo de nuevo.
file-certificate = El certificado del servidor cambió: no se le envía ningún archivo.
picture-broken = No se puede mostrar esta imagen
picture-loading = Cargando la imagen…
viewer-fit = Ajustar
viewer-actual = Tamaño real
viewer-zoom-in = Acercar
viewer-zoom-out = Alejar
viewer-save = Guardar…
file-progress = { $done } de { $total }
file-retrying = Conexión perdida: se reintenta en { $seconds } s
file-busy = El servidor está ocupado: se reintenta en { $seconds } s
picture-of = Imagen: { $name }
code-rest = El resto está en el archivo
code-more = { $lines ->
    [one] Una línea más
   *[other] { $lines } líneas más
}
notifications = Notificaciones del escritorio
notify-private = { $login } (privado)
notify-mention = { $login } en { $room }
notify-kept = Mientras no estaba

## Cantidades.

member-count = { $count ->
        [one] { $count } miembro
       *[other] { $count } miembros
    }
kept-summary = { $count ->
        [one] { $count } mensaje privado de { $from }
       *[other] { $count } mensajes privados de { $from }
    }

## Qué significa cada código de error.

error-version-mismatch = El servidor habla otra versión del protocolo.
error-hello-required = El programa debe saludar primero al servidor.
error-login-required = Inicie sesión primero.
error-already-logged-in = Ya inició sesión.
error-invalid = Algo de lo escrito no es válido.
error-login-taken = Ese usuario ya existe; elija otro.
error-bad-credentials = Usuario o contraseña incorrectos.
error-bad-token = Su sesión terminó; entre con su contraseña.
error-room-exists = Ya existe una sala con ese nombre.
error-room-not-found = No hay ninguna sala con ese nombre.
error-not-room-creator = Solo el creador de la sala puede eliminarla.
error-default-room = La sala por defecto no se puede eliminar.
error-user-not-found = No hay ningún usuario con ese nombre.
error-user-offline = Ese usuario no está conectado.
error-too-many-rooms = No se pueden crear más salas ahora; elimine una primero o intente más tarde.
error-malformed = El servidor no pudo leer un mensaje.
error-frame-too-large = Un mensaje era demasiado grande.
error-server-busy = El servidor está ocupado; intente en un momento.
error-rate-limited = Demasiados intentos; espere un momento e intente de nuevo.
error-internal = El servidor falló; intente de nuevo.
error-message-not-found = Ese mensaje ya no está.
error-not-allowed = Eso no le corresponde.
error-muted = Está silenciado en esta sala por ahora.
error-slow-mode = Esta sala está en modo lento; espere un momento antes de escribir de nuevo.
error-removed-from-room = Lo sacaron de esa sala.
error-too-many-reactions = Ese mensaje tiene todas las reacciones distintas que puede tener.
error-file-too-large = Ese archivo es más grande de lo que el servidor acepta.
error-quota-exceeded = Sus archivos ocupan todo el espacio que tiene; borre algunos primero.
error-file-not-found = Ese archivo no está.
error-storage-full = El disco del servidor está lleno; intente más tarde.

## Campos: sus nombres y sus reglas.

field-first-names = Nombres
field-last-names = Apellidos
field-login = Usuario
field-password = Contraseña
field-age = Edad
field-gender = Género
field-room = Nombre de la sala
field-text = Mensaje
field-client = Nombre del programa
field-version = Versión del protocolo
field-to = Destinatario
field-token = Sesión
field-offset = Posición en la lista
field-all = En todas partes
field-before = Posición en el historial
field-with = Conversación
field-reply-to = Mensaje respondido
field-line = Número de mensaje
field-emoji = Emoticono
field-on = Reacción
field-receipt = Confirmación de lectura
field-action = Acción
field-seconds = Duración
field-reason = Motivo
field-attachments = Archivos
field-name = Nombre del archivo
field-size = Tamaño del archivo
field-sha256 = Suma de comprobación del archivo
field-type = Tipo de archivo
field-topic = Tema
field-seen = Última línea recibida
field-unknown = Campo
field-rule-names = de 1 a { $max } caracteres con al menos una letra, sin espacios en los extremos
field-rule-login = de { $min } a { $max } caracteres: letras a–z sin tildes, dígitos, '.', '_' o '-'
field-rule-password = de { $min } a { $max } caracteres (una letra con tilde cuenta doble), sin caracteres de control
field-rule-age = un número entero de { $min } a { $max }
field-rule-gender = una de las opciones ofrecidas
field-rule-room = de { $min } a { $max } caracteres: letras, dígitos, '.', '_' o '-', sin espacios
field-rule-text = de 1 a { $max } caracteres, no solo espacios
field-rule-client = como máximo { $max } caracteres
field-rule-version = la versión que habla este programa
field-rule-recipient = un usuario: de { $min } a { $max } caracteres, letras a–z sin tildes, dígitos, '.', '_' o '-'
field-rule-token = una sesión dada por este servidor; entre con su contraseña
field-rule-position = un número entero, 0 o más
field-rule-all = sí o no
field-rule-emoji = un emoticono
field-rule-action = silenciar, quitar el silencio, sacar, readmitir, dar voz, quitar la voz o modo lento
field-rule-reason = como máximo { $max } caracteres, en una línea
field-rule-attachments = como máximo { $max } archivos que compartió o puede ver
field-rule-file-name = de 1 a 255 bytes, sin '/', '\' ni '..'
field-rule-size = no más grande de lo que acepta el servidor
field-rule-sha256 = el SHA-256 del archivo, en hexadecimal
field-rule-type = un tipo de medio como image/png
field-rule-topic = como máximo { $max } caracteres, en una línea
field-rule-unknown = un valor que el servidor acepte

## Géneros.

gender-female = Femenino
gender-male = Masculino
gender-non-binary = No binario
gender-other = Otro
gender-prefer-not-to-say = Prefiero no decirlo

## Comandos: cómo se escribe cada uno (con sus partes en este idioma) y qué hace.

command-create-room-syntax = #cR <sala>
command-create-room-summary = crear una sala y entrar en ella
command-enter-room-syntax = #gR <sala>
command-enter-room-summary = entrar a una sala
command-leave-room-syntax = #eR
command-leave-room-summary = volver a la sala por defecto
command-exit-syntax = #exit
command-exit-summary = desconectarse
command-list-rooms-syntax = #lR
command-list-rooms-summary = listar las salas y cuántas personas hay en cada una
command-delete-room-syntax = #dR <sala>
command-delete-room-summary = eliminar una sala que usted creó
command-show-users-syntax = #show users
command-show-users-summary = listar todos los usuarios del sistema
command-private-syntax = #\private <usuario> <texto>
command-private-summary = enviar un mensaje privado a un usuario en cualquier sala
command-away-syntax = #away [texto]
command-away-summary = avisar a los demás que está ausente, con un mensaje opcional
command-back-syntax = #back
command-back-summary = avisar que volvió
command-logout-syntax = #logout [all]
command-logout-summary = cerrar la sesión aquí (o en todas partes, con all) y desconectarse
command-help-syntax = #help
command-help-summary = mostrar esta lista

## Por qué el servidor cerró una conexión.

close-exit = hasta luego
close-taken-over = su cuenta inició sesión en otro lugar
close-slow-consumer = este cliente se quedó demasiado atrás
close-protocol-error = el servidor no entendió a este cliente
close-server-shutdown = el servidor se está apagando
close-handshake-timeout = el inicio de sesión tardó demasiado
close-idle-timeout = no se supo de este cliente durante demasiado tiempo
close-too-many-connections = el servidor tiene todas las conexiones que permite
close-flood = este cliente envió demasiado y muy rápido

## Presencia.

presence-online = en línea
presence-away = ausente
presence-offline = desconectado
presence-unknown = estado desconocido

## El selector de emoji.

emoji-search = Buscar emoji
emoji-recent = Usados recientemente
emoji-smileys = Caras y emociones
emoji-people = Personas y cuerpo
emoji-nature = Animales y naturaleza
emoji-food = Comida y bebida
emoji-travel = Viajes y lugares
emoji-activities = Actividades
emoji-objects = Objetos
emoji-symbols = Símbolos
emoji-flags = Banderas

## Formularios y paneles.

register-fix = Revise los campos marcados con ⚠: { $fields }
show-rooms = Salas y conversaciones
show-members = Personas en esta sala
search-room-closed = sala cerrada

## Lo que se puede hacer con una línea: responder, reaccionar, editar, borrar, copiar, denunciar, moderar.

reply = Responder
react = Reaccionar
edit = Editar
delete = Borrar
more-actions = Más
copy = Copiar
copy-code = Copiar el código
copy-text = Copiar el texto
report = Denunciar…
editing = Editando su mensaje (Intro guarda)
cancel-escape = Cancelar (Esc)
message-deleted = mensaje borrado
edited-mark = (editado)
receipt-sent = Enviado
receipt-delivered = Entregado
receipt-read = Leído
show-original = Ver el mensaje respondido
delete-line-title = ¿Borrar este mensaje?
report-title = Denunciar un mensaje
report-intro = Los administradores del servidor verán este mensaje y su motivo.
report-reason = Motivo (opcional)
report-send = Enviar la denuncia
read-receipts = Enviar confirmaciones de lectura
reports-title = Denuncias
slow-mode-off = Modo lento desactivado
replying-to = Respondiendo a { $login }: { $text }
reply-quote = En respuesta a { $login }: { $text }
line-by = Mensaje de { $login }: { $text }
line-mentions-you = { $login } le menciona: { $text }
reacted-by = { $logins } { $count ->
        [one] reaccionó
       *[other] reaccionaron
    } con { $emoji }
reacted-by-more = { $logins } y { $count } más reaccionaron con { $emoji }
mute-login = Silenciar a { $login }
unmute-login = Dejar hablar a { $login }
remove-login = Expulsar a { $login } de la sala
slow-mode-on = Modo lento: un mensaje cada { $seconds } s
reports-count = { $count ->
        [one] { $count } denuncia
       *[other] { $count } denuncias
    }
report-heading = { $login } denunció, en { $place }
report-reason-was = Motivo: { $reason }
duration-minutes = { $count ->
        [one] { $count } minuto
       *[other] { $count } minutos
    }
duration-hours = { $count ->
        [one] { $count } hora
       *[other] { $count } horas
    }
duration-days = { $count ->
        [one] { $count } día
       *[other] { $count } días
    }
error-muted-until = Está silenciado en esta sala hasta las { $time }.
error-slow-mode-wait = Esta sala está en modo lento: podrá escribir de nuevo en { $seconds ->
        [one] { $seconds } segundo
       *[other] { $seconds } segundos
    }.
line-muted = { $by } silenció a { $login } hasta las { $time }
line-unmuted = { $by } dejó hablar de nuevo a { $login }
line-readmitted = { $by } permitió a { $login } volver a la sala
line-voiced = { $by } dio voz a { $login }: el modo lento no le frena
line-devoiced = { $by } quitó la voz a { $login }
line-removed = { $by } expulsó a { $login } de la sala
line-slow = { $by } activó el modo lento: un mensaje cada { $seconds } s
line-slow-off = { $by } desactivó el modo lento
line-order-kept = { $by } moderó la sala
