# English. One file per language: a translator copies this file to i18n/<tag>/chat.ftl (a BCP 47
# tag: es, pt-BR, fr-CA) and words every message; the program finds the new language by itself.
# Plural forms follow the language's CLDR rules: `{ $count -> [one] … *[other] … }`.

# The language's own name, as the language menu shows it.
language-name = English

connect-title = Connect to a chat server
connect-intro = Type the address of the server (host:port), or host one here for others.
address = Server address
address-hint = host:port, e.g. 192.168.1.20:7878 (a cluster: several, separated by commas)
connect = Connect
connecting = Connecting…
cancel = Cancel
close = Close
host-title = Host a server here
host-intro = Start a server inside this program so others on your network can join.
port = Port
host-start = Start server
host-stop = Stop server
host-starting = Starting the server…
host-running = Hosting a server. Others connect to { $address }
host-failed = The server could not start on port { $port }. Is another program using it?
host-no-folder = This system has no folder for the program's data, where the accounts would be kept.
host-bad-port = The port must be a number from 1 to 65535.
left-server = You left the server. See you soon!
login-title = Log in
login = Login
password = Password
log-in = Log in
logging-in = Logging in…
to-register = Create an account
change-server = Change server
registered = Account { $login } created. Logging you in…
connected-to = Connected to { $server }
register-title = Create an account
first-names = First names
last-names = Last names
confirm-password = Confirm password
age = Age
gender = Gender
create-account = Create account
to-login = I have an account
passwords-differ = The passwords do not match.
rooms = Rooms
members = In this room
conversations = Private messages
no-conversations = Click someone's name to write privately.
new-room = New room…
room-name = Room name
create = Create
enter = Enter
leave-room = Leave room
delete-room = Delete room…
list-rooms = List rooms in the chat
users = Users
log-out = Log out
send = Send
message-hint = Message { $room }
message-input = Message
input-keys = Enter sends · Shift+Enter new line · Tab completes · # commands
input-keys-private = Enter sends · Shift+Enter new line · :name: for emoji
new-messages = { $count ->
        [one] { $count } new message
       *[other] { $count } new messages
    }
members-more = and { $count } more
default-room-mark = default room
created-by = created by { $creator }
you = you
menu-room = Room
menu-view = View
theme = Theme
theme-system = System
theme-light = Light
theme-dark = Dark
language = Language
emoji = Emoji
too-many-lines = At most { $count } lines can be sent at once.
unread = { $count } unread
window-title = Chat
window-title-unread = ({ $count }) Chat
delete-title = Delete { $room }?
delete-body = Everyone in { $room } is moved to { $default }. This cannot be undone.
delete-confirm = Delete
quit-title = Quit while files are on their way?
quit-body = Files are still being sent or received. Quitting now stops them, and messages waiting for their files are not sent.
quit-confirm = Quit
line-joined = { $login } joined
line-left = { $login } left
line-entered = You are in { $room }
line-closed-deleted = { $room } was deleted by its creator
line-closed-creator-left = { $room } closed: its creator left
line-you-deleted = You deleted { $room }
line-moved = { $why }. You are in { $room }
line-room-list = Rooms
line-lost = Connection lost
line-back = Connected again
line-help = Commands
line-help-footer = Any other text goes to everyone in the room; start it with ## to send a leading #.
unknown-command = { $command } is not a command. Type #help to see them.
usage = Type it as { $syntax }
field-problem = { $field }: { $rule }
users-title = Users
users-count = { $online } online, { $total } registered
online = online
offline = offline
in-room = in { $room }
refresh = Refresh
write-to = Write to { $login }
private-title = Private: { $login }
private-hint = Message to { $login }
private-with = Private conversation with { $login }
dock = Show in the main window
undock = Open in its own window
back-to-room = Back to { $room }
status-offline = Offline
status-connecting = Connecting to { $server }…
status-connected = Connected to { $server }
status-logged-in = { $login } at { $server }
status-reconnecting = Reconnecting to { $server }…
server-time = Server time
offset = offset
round-trip = round trip
fingerprint = Certificate fingerprint
banner-lost = Connection lost. { $why }
banner-retry-in = Trying again in { $seconds } s (attempt { $attempt }).
banner-trying = Reconnecting…
banner-still-down = The server cannot be reached yet.
reconnect-now = Reconnect now
why-unresolved = The server's address could not be found.
why-refused = The server refused the connection. Is it running, and is the port right?
why-timed-out = The server did not answer in time.
why-version = The server speaks another version of the protocol; this program needs updating.
why-closed = The server closed the connection: { $reason }.
why-by-client = Disconnected.
why-lost = The connection broke.
why-cert-changed = WARNING: the server's certificate changed. It was { $expected } and is now { $presented }. Someone may be intercepting the connection; go on only if the server's operator confirms the new fingerprint.
why-tls = The secure connection could not be set up.
trust-new-certificate = Trust the new certificate
encrypted = Encrypted
not-encrypted = Not encrypted
trust-authority = certificate signed by an authority
trust-pinned = same certificate as before
trust-first-use = certificate trusted on first use
trust-replaced = new certificate accepted
trust-browser = certificate checked by the browser
keep-signed-in = Keep me signed in on this computer
keep-signed-in-hint = Remembers your session (never your password) until you log out.
resuming = Signing you in as { $login }…
retry-in = Try again in { $seconds } s.
retrying-in = Trying again by itself in { $seconds } s…
log-out-everywhere = Log out everywhere
log-out-everywhere-hint = Ends your sessions on every computer, this one included.
menu-status = Status
away-message = Away message
set-away = Set away
away-says = away: { $text }
earlier-messages = Earlier messages
loading-earlier = Loading earlier messages…
kept-for-later = Kept by the server: delivered when they log in
sent-while-away = Sent while you were away · { $time }
line-kept-dropped = { $count ->
        [one] { $count } older private message kept for you was lost: the server keeps at most 1,000.
       *[other] { $count } older private messages kept for you were lost: the server keeps at most 1,000.
    }
typing = { $login } is typing…
find = Find
find-count = { $current } of { $total }
find-none = No matches
find-older = Earlier match
find-newer = Later match
find-here = Find in this conversation (Ctrl+F)
search-all = Search everything (Ctrl+Shift+F)
search-title = Search every room and conversation
search-field = Search for
search-found = { $count } found
search-none = Nothing found in what this program has seen.
export = Save a copy…
export-title = Save a copy of { $name }
line-saved = Saved to { $path }
line-save-failed = Could not save to { $path }

## Files and pictures.

attach = Attach files
attach-drop = Drop the files here to attach them
file-download = Download
file-open = Open
file-remove = Remove
file-waiting = Sent as soon as its files are uploaded
file-held = Not sent: a file could not be uploaded. Remove it (✖) to send the message without it.
file-unreadable = This file cannot be read.
file-unwritable = The file cannot be written in this folder.
file-corrupt = What arrived is not the file that was sent; download it again.
file-certificate = The server's certificate changed: no file goes to it.
picture-broken = This picture cannot be shown
picture-loading = Loading the picture…
viewer-fit = Fit
viewer-actual = Actual size
viewer-zoom-in = Zoom in
viewer-zoom-out = Zoom out
viewer-save = Save…
file-progress = { $done } of { $total }
file-retrying = Connection lost: trying again in { $seconds } s
file-busy = The server is busy: trying again in { $seconds } s
picture-of = Picture: { $name }
code-rest = The rest is in the file
code-more = { $lines ->
    [one] One more line
   *[other] { $lines } more lines
}
notifications = Desktop notifications
notify-private = { $login } (private)
notify-mention = { $login } in { $room }
notify-kept = While you were away

## Counts.

member-count = { $count ->
        [one] { $count } member
       *[other] { $count } members
    }
kept-summary = { $count ->
        [one] { $count } private message from { $from }
       *[other] { $count } private messages from { $from }
    }

## What an error code means.

error-version-mismatch = The server speaks another protocol version.
error-hello-required = The program must greet the server first.
error-login-required = Log in first.
error-already-logged-in = You are already logged in.
error-invalid = Something typed is not valid.
error-login-taken = That login is taken; choose another.
error-bad-credentials = Wrong login or password.
error-bad-token = Your session has ended; log in with your password.
error-room-exists = A room with that name already exists.
error-room-not-found = There is no room with that name.
error-not-room-creator = Only the room's creator can delete it.
error-default-room = The default room cannot be deleted.
error-user-not-found = There is no user with that login.
error-user-offline = That user is not connected.
error-too-many-rooms = No more rooms can be created now; delete one first or try later.
error-malformed = The server could not read a message.
error-frame-too-large = A message was too large.
error-server-busy = The server is busy; try again in a moment.
error-rate-limited = Too many attempts; wait a moment and try again.
error-internal = The server failed; try again.
error-message-not-found = That message is not there any more.
error-not-allowed = That is not yours to do.
error-muted = You are muted in this room for now.
error-slow-mode = This room is in slow mode; wait a moment before writing again.
error-removed-from-room = You were removed from that room.
error-too-many-reactions = That message has as many different reactions as it may.
error-file-too-large = That file is larger than the server takes.
error-quota-exceeded = Your files take all the room you have; delete some first.
error-file-not-found = That file is not there.
error-storage-full = The server's disk is full; try again later.

## Fields: their names and their rules.

field-first-names = First names
field-last-names = Last names
field-login = Login
field-password = Password
field-age = Age
field-gender = Gender
field-room = Room name
field-text = Message
field-client = Program name
field-version = Protocol version
field-to = Recipient
field-token = Session
field-offset = List position
field-all = Everywhere
field-before = History position
field-with = Conversation
field-reply-to = Message answered
field-line = Message number
field-emoji = Emoji
field-on = Reaction
field-receipt = Read receipt
field-action = Action
field-seconds = Duration
field-reason = Reason
field-attachments = Files
field-name = File name
field-size = File size
field-sha256 = File checksum
field-type = File type
field-topic = Topic
field-seen = Last line received
field-unknown = Field
field-rule-names = 1 to { $max } characters with at least one letter, no spaces at either end
field-rule-login = { $min } to { $max } characters: letters a–z, digits, '.', '_' or '-'
field-rule-password = { $min } to { $max } characters (a letter with an accent counts as two), no control characters
field-rule-age = a whole number from { $min } to { $max }
field-rule-gender = one of the options offered
field-rule-room = { $min } to { $max } characters: letters, digits, '.', '_' or '-', no spaces
field-rule-text = 1 to { $max } characters, not only spaces
field-rule-client = at most { $max } characters
field-rule-version = the version this program speaks
field-rule-recipient = a login: { $min } to { $max } characters, letters a–z, digits, '.', '_' or '-'
field-rule-token = a session this server gave; sign in with your password
field-rule-position = a whole number, 0 or more
field-rule-all = yes or no
field-rule-emoji = one emoji
field-rule-action = mute, unmute, remove, readmit, voice, devoice or slow
field-rule-reason = at most { $max } characters, on one line
field-rule-attachments = at most { $max } files you shared or can see
field-rule-file-name = 1 to 255 bytes, no '/', '\' or '..'
field-rule-size = no larger than the server takes
field-rule-sha256 = the file's SHA-256, in hexadecimal
field-rule-type = a media type such as image/png
field-rule-topic = at most { $max } characters, on one line
field-rule-unknown = a value the server accepts

## Genders.

gender-female = Female
gender-male = Male
gender-non-binary = Non-binary
gender-other = Other
gender-prefer-not-to-say = Prefer not to say

## Commands: how each is typed (placeholders in this language) and what it does.

command-create-room-syntax = #cR <room>
command-create-room-summary = create a room and enter it
command-enter-room-syntax = #gR <room>
command-enter-room-summary = enter a room
command-leave-room-syntax = #eR
command-leave-room-summary = go back to the default room
command-exit-syntax = #exit
command-exit-summary = disconnect
command-list-rooms-syntax = #lR
command-list-rooms-summary = list rooms and how many people are in each
command-delete-room-syntax = #dR <room>
command-delete-room-summary = delete a room you created
command-show-users-syntax = #show users
command-show-users-summary = list every user of the system
command-private-syntax = #\private <user> <text>
command-private-summary = send a private message to a user in any room
command-away-syntax = #away [text]
command-away-summary = tell others you are away, with an optional message
command-back-syntax = #back
command-back-summary = you are back
command-logout-syntax = #logout [all]
command-logout-summary = sign out here (or everywhere, with all) and disconnect
command-help-syntax = #help
command-help-summary = show this list

## Why the server closed a connection.

close-exit = goodbye
close-taken-over = your account logged in somewhere else
close-slow-consumer = this client fell too far behind
close-protocol-error = the server did not understand this client
close-server-shutdown = the server is shutting down
close-handshake-timeout = logging in took too long
close-idle-timeout = nothing was heard from this client for too long
close-too-many-connections = the server has as many connections as it allows
close-flood = this client sent too much too fast

## Presence.

presence-online = online
presence-away = away
presence-offline = offline
presence-unknown = presence unknown

## The emoji picker.

emoji-search = Search emoji
emoji-recent = Recently used
emoji-smileys = Smileys and emotion
emoji-people = People and body
emoji-nature = Animals and nature
emoji-food = Food and drink
emoji-travel = Travel and places
emoji-activities = Activities
emoji-objects = Objects
emoji-symbols = Symbols
emoji-flags = Flags

## Forms and panels.

register-fix = Check the fields marked ⚠: { $fields }
show-rooms = Rooms and conversations
show-members = People in this room
search-room-closed = room closed

## What can be done to a line: reply, react, edit, delete, copy, report, keep order.

reply = Reply
react = React
edit = Edit
delete = Delete
more-actions = More
copy = Copy
copy-code = Copy code
copy-text = Copy text
report = Report…
editing = Editing your message (Enter saves)
cancel-escape = Cancel (Esc)
message-deleted = message deleted
edited-mark = (edited)
receipt-sent = Sent
receipt-delivered = Delivered
receipt-read = Read
show-original = Show the message answered
delete-line-title = Delete this message?
report-title = Report a message
report-intro = The server's administrators will see this message and your reason.
report-reason = Reason (optional)
report-send = Send report
read-receipts = Send read receipts
reports-title = Reports
slow-mode-off = Slow mode off
replying-to = Replying to { $login }: { $text }
reply-quote = In reply to { $login }: { $text }
line-by = Message from { $login }: { $text }
line-mentions-you = { $login } mentions you: { $text }
reacted-by = { $logins } reacted with { $emoji }
reacted-by-more = { $logins } and { $count } more reacted with { $emoji }
mute-login = Mute { $login }
unmute-login = Unmute { $login }
remove-login = Remove { $login } from the room
slow-mode-on = Slow mode: one message every { $seconds } s
reports-count = { $count ->
        [one] { $count } report
       *[other] { $count } reports
    }
report-heading = { $login } reported, in { $place }
report-reason-was = Reason: { $reason }
duration-minutes = { $count ->
        [one] { $count } minute
       *[other] { $count } minutes
    }
duration-hours = { $count ->
        [one] { $count } hour
       *[other] { $count } hours
    }
duration-days = { $count ->
        [one] { $count } day
       *[other] { $count } days
    }
error-muted-until = You are muted in this room until { $time }.
error-slow-mode-wait = This room is in slow mode: you may write again in { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }.
line-muted = { $login } was muted by { $by } until { $time }
line-unmuted = { $login } was unmuted by { $by }
line-readmitted = { $login } may come back to the room: { $by } allowed it
line-voiced = { $login } was voiced by { $by }: slow mode does not slow them
line-devoiced = { $by } took { $login }'s voice away
line-removed = { $login } was removed from the room by { $by }
line-slow = { $by } turned slow mode on: one message every { $seconds } s
line-slow-off = { $by } turned slow mode off
line-order-kept = { $by } kept order in the room
