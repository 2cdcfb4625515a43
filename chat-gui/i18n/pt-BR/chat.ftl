# Português (Brasil).

# O nome do idioma no próprio idioma, como o menu de idiomas o mostra.
language-name = Português (Brasil)

connect-title = Conectar a um servidor de chat
connect-intro = Digite o endereço do servidor (host:porta) ou hospede um aqui para outras pessoas.
address = Endereço do servidor
address-hint = host:porta, ex. 192.168.1.20:7878 (um cluster: vários, separados por vírgulas)
connect = Conectar
connecting = Conectando…
cancel = Cancelar
close = Fechar
host-title = Hospedar um servidor aqui
host-intro = Inicie um servidor dentro deste programa para que outras pessoas da sua rede possam entrar.
port = Porta
host-start = Iniciar servidor
host-stop = Parar servidor
host-starting = Iniciando o servidor…
host-running = Servidor hospedado. Os outros se conectam a { $address }
host-failed = Não foi possível iniciar o servidor na porta { $port }. Outro programa a está usando?
host-no-folder = Este sistema não tem uma pasta para os dados do programa, onde as contas seriam guardadas.
host-bad-port = A porta deve ser um número de 1 a 65535.
left-server = Você saiu do servidor. Até logo!
login-title = Entrar
login = Usuário
password = Senha
log-in = Entrar
logging-in = Entrando…
to-register = Criar uma conta
change-server = Trocar de servidor
registered = Conta { $login } criada. Entrando…
connected-to = Conectado a { $server }
register-title = Criar uma conta
first-names = Nomes
last-names = Sobrenomes
confirm-password = Confirmar senha
age = Idade
gender = Gênero
create-account = Criar conta
to-login = Já tenho uma conta
passwords-differ = As senhas não coincidem.
rooms = Salas
members = Nesta sala
conversations = Mensagens privadas
no-conversations = Clique no nome de alguém para escrever em particular.
new-room = Nova sala…
room-name = Nome da sala
create = Criar
enter = Entrar
leave-room = Sair da sala
delete-room = Excluir sala…
list-rooms = Listar as salas do chat
users = Usuários
log-out = Sair
send = Enviar
message-hint = Mensagem para { $room }
message-input = Mensagem
input-keys = Enter envia · Shift+Enter nova linha · Tab completa · # comandos
input-keys-private = Enter envia · Shift+Enter nova linha · :nome: para emoji
new-messages = { $count ->
        [one] { $count } mensagem nova
       *[other] { $count } mensagens novas
    }
members-more = e mais { $count }
default-room-mark = sala padrão
created-by = criada por { $creator }
you = você
menu-room = Sala
menu-view = Exibir
theme = Tema
theme-system = Sistema
theme-light = Claro
theme-dark = Escuro
language = Idioma
emoji = Emoji
too-many-lines = No máximo { $count } linhas podem ser enviadas de uma vez.
unread = { $count } não lidas
window-title = Chat
window-title-unread = ({ $count }) Chat
delete-title = Excluir { $room }?
delete-body = Todos em { $room } serão levados para { $default }. Isso não pode ser desfeito.
quit-title = Sair com arquivos a caminho?
quit-body = Ainda há arquivos sendo enviados ou recebidos. Se sair agora, eles param, e as mensagens que esperam seus arquivos não são enviadas.
quit-confirm = Sair
delete-confirm = Excluir
line-joined = { $login } entrou
line-left = { $login } saiu
line-entered = Você está em { $room }
line-closed-deleted = { $room } foi excluída por quem a criou
line-closed-creator-left = { $room } foi fechada: quem a criou saiu
line-you-deleted = Você excluiu { $room }
line-moved = { $why }. Você está em { $room }
line-room-list = Salas
line-lost = Conexão perdida
line-back = Conectado de novo
line-help = Comandos
line-help-footer = Qualquer outro texto vai para todos na sala; comece com ## para enviar um # no início.
unknown-command = { $command } não é um comando. Digite #help para vê-los.
usage = Digite assim: { $syntax }
field-problem = { $field }: { $rule }
users-title = Usuários
users-count = { $online } on-line, { $total ->
        [one] { $total } cadastrado
       *[other] { $total } cadastrados
    }
online = on-line
offline = off-line
in-room = em { $room }
refresh = Atualizar
write-to = Escrever para { $login }
private-title = Privado: { $login }
private-hint = Mensagem para { $login }
private-with = Conversa privada com { $login }
dock = Mostrar na janela principal
undock = Abrir em uma janela própria
back-to-room = Voltar para { $room }
status-offline = Desconectado
status-connecting = Conectando a { $server }…
status-connected = Conectado a { $server }
status-logged-in = { $login } em { $server }
status-reconnecting = Reconectando a { $server }…
server-time = Hora do servidor
offset = diferença
round-trip = ida e volta
fingerprint = Impressão digital do certificado
banner-lost = A conexão caiu. { $why }
banner-retry-in = Nova tentativa em { $seconds } s (tentativa { $attempt }).
banner-trying = Reconectando…
banner-still-down = Ainda não é possível alcançar o servidor.
reconnect-now = Reconectar agora
why-unresolved = O endereço do servidor não foi encontrado.
why-refused = O servidor recusou a conexão. Ele está rodando e a porta está certa?
why-timed-out = O servidor não respondeu a tempo.
why-version = O servidor fala outra versão do protocolo; este programa precisa ser atualizado.
why-closed = O servidor fechou a conexão: { $reason }.
why-by-client = Desconectado.
why-lost = A conexão foi interrompida.
why-cert-changed = ATENÇÃO: o certificado do servidor mudou. Era { $expected } e agora é { $presented }. Alguém pode estar interceptando a conexão; continue somente se o operador do servidor confirmar a nova impressão digital.
why-tls = Não foi possível estabelecer a conexão segura.
trust-new-certificate = Confiar no novo certificado
encrypted = Criptografada
not-encrypted = Sem criptografia
trust-authority = certificado assinado por uma autoridade
trust-pinned = o mesmo certificado de antes
trust-first-use = certificado aceito no primeiro uso
trust-replaced = novo certificado aceito
trust-browser = certificado verificado pelo navegador
keep-signed-in = Manter-me conectado neste computador
keep-signed-in-hint = Lembra a sua sessão (nunca a sua senha) até você sair.
resuming = Entrando como { $login }…
retry-in = Tente de novo em { $seconds } s.
retrying-in = Tentando de novo sozinho em { $seconds } s…
log-out-everywhere = Sair em todos os lugares
log-out-everywhere-hint = Encerra as suas sessões em todos os computadores, inclusive neste.
menu-status = Status
away-message = Mensagem de ausência
set-away = Ficar ausente
away-says = ausente: { $text }
earlier-messages = Mensagens anteriores
loading-earlier = Carregando mensagens anteriores…
kept-for-later = Guardada pelo servidor: será entregue quando a pessoa entrar
sent-while-away = Enviada enquanto você estava fora · { $time }
line-kept-dropped = { $count ->
        [one] { $count } mensagem privada antiga guardada para você se perdeu: o servidor guarda no máximo 1.000.
       *[other] { $count } mensagens privadas antigas guardadas para você se perderam: o servidor guarda no máximo 1.000.
    }
typing = { $login } está digitando…
find = Localizar
find-count = { $current } de { $total }
find-none = Nenhum resultado
find-older = Resultado anterior
find-newer = Próximo resultado
find-here = Localizar nesta conversa (Ctrl+F)
search-all = Pesquisar em tudo (Ctrl+Shift+F)
search-title = Pesquisar em todas as salas e conversas
search-field = Pesquisar
search-found = { $count ->
        [one] { $count } encontrada
       *[other] { $count } encontradas
    }
search-none = Nada encontrado no que este programa viu.
export = Salvar uma cópia…
export-title = Salvar uma cópia de { $name }
line-saved = Salvo em { $path }
line-save-failed = Não foi possível salvar em { $path }

## Arquivos e imagens.

attach = Anexar arquivos
attach-drop = Solte os arquivos aqui para anexá-los
file-download = Baixar
file-open = Abrir arquivo
file-remove = Remover
file-waiting = Enviada assim que seus arquivos forem carregados
file-held = Não enviada: um arquivo não pôde ser carregado. Remova-o (✖) para enviar a mensagem sem ele.
file-unreadable = Não é possível ler este arquivo.
file-unwritable = Não é possível gravar o arquivo nesta pasta.
file-corrupt = O que chegou não é o arquivo enviado; baixe-o de novo.
file-certificate = O certificado do servidor mudou: nenhum arquivo é enviado a ele.
picture-broken = Não é possível mostrar esta imagem
picture-loading = Carregando a imagem…
viewer-fit = Ajustar à janela
viewer-actual = Tamanho real
viewer-zoom-in = Aproximar
viewer-zoom-out = Afastar
viewer-save = Salvar…
file-progress = { $done } de { $total }
file-retrying = Conexão perdida: nova tentativa em { $seconds } s
file-busy = O servidor está ocupado: nova tentativa em { $seconds } s
picture-of = Imagem: { $name }
code-rest = O resto está no arquivo
code-more = { $lines ->
    [one] Mais uma linha
   *[other] Mais { $lines } linhas
}
notifications = Notificações da área de trabalho
notify-private = { $login } (privado)
notify-mention = { $login } em { $room }
notify-kept = Enquanto você estava fora

## Quantidades.

member-count = { $count ->
        [one] { $count } membro
       *[other] { $count } membros
    }
kept-summary = { $count ->
        [one] { $count } mensagem privada de { $from }
       *[other] { $count } mensagens privadas de { $from }
    }

## O que significa cada código de erro.

error-version-mismatch = O servidor fala outra versão do protocolo.
error-hello-required = O programa precisa cumprimentar o servidor primeiro.
error-login-required = Entre primeiro.
error-already-logged-in = Você já entrou.
error-invalid = Algo digitado não é válido.
error-login-taken = Esse usuário já existe; escolha outro.
error-bad-credentials = Usuário ou senha incorretos.
error-bad-token = A sua sessão terminou; entre com a sua senha.
error-room-exists = Já existe uma sala com esse nome.
error-room-not-found = Não há nenhuma sala com esse nome.
error-not-room-creator = Só quem criou a sala pode excluí-la.
error-default-room = A sala padrão não pode ser excluída.
error-user-not-found = Não há nenhum usuário com esse nome.
error-user-offline = Esse usuário não está conectado.
error-too-many-rooms = Não é possível criar mais salas agora; exclua uma primeiro ou tente mais tarde.
error-malformed = O servidor não conseguiu ler uma mensagem.
error-frame-too-large = Uma mensagem era grande demais.
error-server-busy = O servidor está ocupado; tente de novo em instantes.
error-rate-limited = Tentativas demais; espere um pouco e tente de novo.
error-internal = O servidor falhou; tente de novo.
error-message-not-found = Essa mensagem não está mais lá.
error-not-allowed = Isso não cabe a você.
error-muted = Você está silenciado nesta sala por enquanto.
error-slow-mode = Esta sala está em modo lento; espere um momento antes de escrever de novo.
error-removed-from-room = Você foi removido dessa sala.
error-too-many-reactions = Essa mensagem já tem todas as reações diferentes que pode ter.
error-file-too-large = Esse arquivo é maior do que o servidor aceita.
error-quota-exceeded = Seus arquivos ocupam todo o espaço que você tem; apague alguns primeiro.
error-file-not-found = Esse arquivo não está lá.
error-storage-full = O disco do servidor está cheio; tente mais tarde.

## Campos: seus nomes e suas regras.

field-first-names = Nomes
field-last-names = Sobrenomes
field-login = Usuário
field-password = Senha
field-age = Idade
field-gender = Gênero
field-room = Nome da sala
field-text = Mensagem
field-client = Nome do programa
field-version = Versão do protocolo
field-to = Destinatário
field-token = Sessão
field-offset = Posição na lista
field-all = Em todos os lugares
field-before = Posição no histórico
field-with = Conversa
field-reply-to = Mensagem respondida
field-line = Número da mensagem
field-emoji = Emoji da reação
field-on = Reação
field-receipt = Confirmação de leitura
field-action = Ação
field-seconds = Duração
field-reason = Motivo
field-attachments = Arquivos
field-name = Nome do arquivo
field-size = Tamanho do arquivo
field-sha256 = Soma de verificação do arquivo
field-type = Tipo de arquivo
field-topic = Tópico
field-seen = Última linha recebida
field-unknown = Campo
field-rule-names = de 1 a { $max } caracteres com pelo menos uma letra, sem espaços nas pontas
field-rule-login = de { $min } a { $max } caracteres: letras a–z sem acento, dígitos, '.', '_' ou '-'
field-rule-password = de { $min } a { $max } caracteres (uma letra acentuada conta como duas), sem caracteres de controle
field-rule-age = um número inteiro de { $min } a { $max }
field-rule-gender = uma das opções oferecidas
field-rule-room = de { $min } a { $max } caracteres: letras, dígitos, '.', '_' ou '-', sem espaços
field-rule-text = de 1 a { $max } caracteres, não só espaços
field-rule-client = no máximo { $max } caracteres
field-rule-version = a versão que este programa fala
field-rule-recipient = um usuário: de { $min } a { $max } caracteres, letras a–z sem acento, dígitos, '.', '_' ou '-'
field-rule-token = uma sessão dada por este servidor; entre com a sua senha
field-rule-position = um número inteiro, 0 ou mais
field-rule-all = sim ou não
field-rule-emoji = um emoji
field-rule-action = silenciar, tirar o silêncio, remover, readmitir, dar voz, tirar a voz ou modo lento
field-rule-reason = no máximo { $max } caracteres, em uma linha
field-rule-attachments = no máximo { $max } arquivos que você compartilhou ou pode ver
field-rule-file-name = de 1 a 255 bytes, sem '/', '\' nem '..'
field-rule-size = não maior do que o servidor aceita
field-rule-sha256 = o SHA-256 do arquivo, em hexadecimal
field-rule-type = um tipo de mídia como image/png
field-rule-topic = no máximo { $max } caracteres, em uma linha
field-rule-unknown = um valor que o servidor aceite

## Gêneros.

gender-female = Feminino
gender-male = Masculino
gender-non-binary = Não binário
gender-other = Outro
gender-prefer-not-to-say = Prefiro não dizer

## Comandos: como cada um se escreve (com as partes neste idioma) e o que faz.

command-create-room-syntax = #cR <sala>
command-create-room-summary = criar uma sala e entrar nela
command-enter-room-syntax = #gR <sala>
command-enter-room-summary = entrar em uma sala
command-leave-room-syntax = #eR
command-leave-room-summary = voltar para a sala padrão
command-exit-syntax = #exit
command-exit-summary = desconectar
command-list-rooms-syntax = #lR
command-list-rooms-summary = listar as salas e quantas pessoas há em cada uma
command-delete-room-syntax = #dR <sala>
command-delete-room-summary = excluir uma sala que você criou
command-show-users-syntax = #show users
command-show-users-summary = listar todos os usuários do sistema
command-private-syntax = #\private <usuário> <texto>
command-private-summary = enviar uma mensagem privada a um usuário em qualquer sala
command-away-syntax = #away [texto]
command-away-summary = avisar aos outros que você está ausente, com uma mensagem opcional
command-back-syntax = #back
command-back-summary = avisar que você voltou
command-logout-syntax = #logout [all]
command-logout-summary = sair aqui (ou em todos os lugares, com all) e desconectar
command-help-syntax = #help
command-help-summary = mostrar esta lista

## Por que o servidor fechou uma conexão.

close-exit = até logo
close-taken-over = a sua conta entrou em outro lugar
close-slow-consumer = este cliente ficou atrasado demais
close-protocol-error = o servidor não entendeu este cliente
close-server-shutdown = o servidor está sendo desligado
close-handshake-timeout = a entrada demorou demais
close-idle-timeout = nada se ouviu deste cliente por tempo demais
close-too-many-connections = o servidor tem todas as conexões que permite
close-flood = este cliente enviou demais rápido demais

## Presença.

presence-online = on-line
presence-away = ausente
presence-offline = off-line
presence-unknown = presença desconhecida

## O seletor de emoji.

emoji-search = Pesquisar emoji
emoji-recent = Usados recentemente
emoji-smileys = Carinhas e emoções
emoji-people = Pessoas e corpo
emoji-nature = Animais e natureza
emoji-food = Comidas e bebidas
emoji-travel = Viagens e lugares
emoji-activities = Atividades
emoji-objects = Objetos
emoji-symbols = Símbolos
emoji-flags = Bandeiras

## Formulários e painéis.

register-fix = Confira os campos marcados com ⚠: { $fields }
show-rooms = Salas e conversas
show-members = Pessoas nesta sala
search-room-closed = sala fechada

## O que se pode fazer com uma linha: responder, reagir, editar, apagar, copiar, denunciar, moderar.

reply = Responder
react = Reagir
edit = Editar
delete = Apagar
more-actions = Mais
copy = Copiar
copy-code = Copiar o código
copy-text = Copiar o texto
report = Denunciar…
editing = Editando sua mensagem (Enter salva)
cancel-escape = Cancelar (Esc)
message-deleted = mensagem apagada
edited-mark = (editada)
receipt-sent = Enviada
receipt-delivered = Entregue
receipt-read = Lida
show-original = Ver a mensagem respondida
delete-line-title = Apagar esta mensagem?
report-title = Denunciar uma mensagem
report-intro = Os administradores do servidor verão esta mensagem e o seu motivo.
report-reason = Motivo (opcional)
report-send = Enviar denúncia
read-receipts = Enviar confirmações de leitura
reports-title = Denúncias
slow-mode-off = Modo lento desligado
replying-to = Respondendo a { $login }: { $text }
reply-quote = Em resposta a { $login }: { $text }
line-by = Mensagem de { $login }: { $text }
line-mentions-you = { $login } mencionou você: { $text }
reacted-by = { $logins } { $count ->
        [one] reagiu
       *[other] reagiram
    } com { $emoji }
reacted-by-more = { $logins } e mais { $count } reagiram com { $emoji }
mute-login = Silenciar { $login }
unmute-login = Deixar { $login } falar
remove-login = Remover { $login } da sala
slow-mode-on = Modo lento: uma mensagem a cada { $seconds } s
reports-count = { $count ->
        [one] { $count } denúncia
       *[other] { $count } denúncias
    }
report-heading = { $login } denunciou, em { $place }
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
        [one] { $count } dia
       *[other] { $count } dias
    }
error-muted-until = Você está silenciado nesta sala até { $time }.
error-slow-mode-wait = Esta sala está em modo lento: você poderá escrever de novo em { $seconds ->
        [one] { $seconds } segundo
       *[other] { $seconds } segundos
    }.
line-muted = { $by } silenciou { $login } até { $time }
line-unmuted = { $by } deixou { $login } falar de novo
line-readmitted = { $by } permitiu que { $login } volte à sala
line-voiced = { $by } deu voz a { $login }: o modo lento não o segura
line-devoiced = { $by } tirou a voz de { $login }
line-removed = { $by } removeu { $login } da sala
line-slow = { $by } ligou o modo lento: uma mensagem a cada { $seconds } s
line-slow-off = { $by } desligou o modo lento
line-order-kept = { $by } moderou a sala
