//! What a client is told once registered: `001`-`005` and the message of the day; `005`
//! (what this server supports) and `MOTD` again when asked.

use super::render::{self, mask, server};
use super::session::IrcSession;

impl IrcSession {
    /// `001`–`005` and the message of the day.
    pub(super) fn welcome(&self) {
        let nick = self.nick.clone();
        let version = super::about::version_text();
        self.numeric("001", &[&format!("Welcome to chat, {}", mask(&nick))]);
        self.numeric(
            "002",
            &[&format!("Your host is {}, running {version}", server())],
        );
        self.numeric("003", &["This server speaks IRC and the chat protocol"]);
        self.numeric("004", &[server(), &version, "i", "bmnoqtv"]);
        self.isupport();
        self.motd();
    }

    /// `005`: what this server supports.
    pub(super) fn isupport(&self) {
        let room_len = chat_core::limits::ROOM_MAX_CHARS + 1;
        let tokens = [
            "CHANTYPES=#".to_owned(),
            "CHANLIMIT=#:1".to_owned(),
            format!("NICKLEN={}", chat_core::limits::LOGIN_MAX_CHARS),
            format!("CHANNELLEN={room_len}"),
            "CASEMAPPING=ascii".to_owned(),
            // Client tags are not passed on, but for typing notices, replies and reactions
            // (which the server reads and writes itself).
            "CLIENTTAGDENY=*,-typing,-reply,-draft/reply,-draft/react,-draft/unreact".to_owned(),
            "NETWORK=chat".to_owned(),
            format!("CHANMODES={}", super::order::CHANMODES),
            "PREFIX=(ov)@+".to_owned(),
            "MAXTARGETS=1".to_owned(),
            "TARGMAX=PRIVMSG:1,NOTICE:1,TAGMSG:1,JOIN:1,PART:1,NAMES:1,KICK:1,LIST:,WHOIS:1,ISON:,USERHOST:5"
                .to_owned(),
            "UTF8ONLY".to_owned(),
            format!("CHATHISTORY={}", chat_core::limits::MAX_LISTED),
            format!("AWAYLEN={}", chat_core::limits::TEXT_MAX_CHARS),
            format!("USERLEN={}", super::registration::USER_NAME_CHARS),
            "WHOX".to_owned(),
        ];
        // At most 13 tokens a line, as clients expect.
        for chunk in tokens.chunks(13) {
            let mut params: Vec<&str> = chunk.iter().map(String::as_str).collect();
            params.push("are supported by this server");
            self.numeric("005", &params);
        }
    }

    /// The message of the day: how the chat's rooms look from IRC.
    pub(super) fn motd(&self) {
        let mut out = String::new();
        let lines = [
            "Welcome to chat, where IRC and the chat's own clients share the rooms.",
            "Rooms are channels, and you are in one at a time: JOIN #room moves you there,",
            "creating the room (you are its creator) if it does not exist; PART takes you",
            "back to the default room. A room closes when its creator leaves.",
            "PRIVMSG a user in any room; users who are offline get it at their next login.",
            "LIST shows every room and how many are in it; WHOIS shows who someone is.",
        ];
        render::push(
            &mut out,
            &render::numeric(
                "375",
                &self.nick,
                &[&format!("- {} Message of the day -", server())],
            ),
        );
        for text in lines {
            render::push(
                &mut out,
                &render::numeric("372", &self.nick, &[&format!("- {text}")]),
            );
        }
        render::push(
            &mut out,
            &render::numeric("376", &self.nick, &["End of /MOTD command"]),
        );
        self.send_text(out);
    }
}
