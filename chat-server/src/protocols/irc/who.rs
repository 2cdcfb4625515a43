//! `WHO`: who is in a channel, who has a nick, who matches a mask (`*` and `?`), or everyone
//! (`WHO *`, `WHO 0`, `WHO`), as `352` rows; with a `%fields[,token]` argument, IRCv3 WHOX
//! `354` rows of just those fields. Every user is visible here (the course's `#show users`
//! lists them all) and nobody is a server operator (`WHO mask o` finds no one). A row's
//! channel is the one asked about, else `*`, as Ergo answers (`WHOIS` says where a user is).

use chat_core::irc::Line;
use chat_core::limits::MAX_LISTED;
use chat_core::protocol::Presence;
use chat_core::validate;

use super::caps::Caps;
use super::render::{self, channel, server};
use super::session::IrcSession;

/// The WHOX fields, in the order their values are written whatever the order asked.
const WHOX_FIELDS: &str = "tcuihsnfdlaor";

/// One user as `WHO` shows it.
struct Row {
    channel: String,
    login: String,
    user_name: String,
    real_name: String,
    away: bool,
    guest: bool,
    /// Where the user stands in the channel shown (`@` for its creator or an administrator,
    /// `+` voiced).
    status: render::Status,
}

/// What `WHO` was asked to show: `352` rows, or WHOX `354` rows of `fields` with `token`.
struct Shown<'a> {
    fields: Option<&'a str>,
    token: &'a str,
}

/// Whether `name` matches `mask` (`*`: any run of characters, `?`: one), ignoring ASCII case.
pub(super) fn matches(mask: &str, name: &str) -> bool {
    let (mask, name): (Vec<char>, Vec<char>) = (
        mask.to_ascii_lowercase().chars().collect(),
        name.to_ascii_lowercase().chars().collect(),
    );
    // Greedy matching with one point to come back to: linear in practice, no recursion.
    let (mut m, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match mask.get(m) {
            Some('*') => {
                star = Some((m, n));
                m += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                m += 1;
                n += 1;
            }
            _ => match star {
                Some((sm, sn)) => {
                    m = sm + 1;
                    n = sn + 1;
                    star = Some((sm, sn + 1));
                }
                None => return false,
            },
        }
    }
    mask[m..].iter().all(|c| *c == '*')
}

impl Row {
    /// The online user with login key `key`, shown in `chan` (`*` when `None`).
    fn of(s: &IrcSession, key: &str, chan: Option<&str>) -> Option<Row> {
        let away = s.shared.hub.online_user(key)?.presence == Presence::Away;
        let person = s.shared.person(key);
        let login = person
            .as_ref()
            .map_or_else(|| key.to_owned(), |p| p.login.clone());
        let user_name = s.user_name_of(key, &login);
        let real_name = person
            .as_ref()
            .map(|p| {
                format!("{} {}", p.first_names, p.last_names)
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let status = chan
            .and_then(|c| c.strip_prefix('#'))
            .map(|room| render::Status {
                operator: s.shared.hub.keeps_order_in(key, room),
                voiced: s.shared.hub.order_of(room).is_some_and(|o| {
                    o.voiced
                        .iter()
                        .any(|v| validate::login_key(&v.login) == key)
                }),
            })
            .unwrap_or_default();
        Some(Row {
            status,
            channel: chan.unwrap_or("*").to_owned(),
            login,
            user_name,
            real_name,
            away,
            guest: person.is_some_and(|p| p.guest),
        })
    }

    /// `H` (here) or `G` (gone: away), then the channel's prefixes (every one with
    /// `multi-prefix`).
    fn flags(&self, caps: Caps) -> String {
        let here = if self.away { "G" } else { "H" };
        format!("{here}{}", self.status.prefixes(caps))
    }

    fn write(&self, s: &IrcSession, shown: &Shown<'_>, out: &mut String) {
        let Some(fields) = shown.fields else {
            render::push(
                out,
                &render::numeric(
                    "352",
                    &s.nick,
                    &[
                        &self.channel,
                        &self.user_name,
                        server(),
                        server(),
                        &self.login,
                        &self.flags(s.caps),
                        &format!("0 {}", self.real_name),
                    ],
                ),
            );
            return;
        };
        let account = if self.guest { "0" } else { self.login.as_str() };
        let flags = self.flags(s.caps);
        let mut params: Vec<&str> = Vec::new();
        for field in WHOX_FIELDS.chars().filter(|f| fields.contains(*f)) {
            params.push(match field {
                't' => shown.token,
                'c' => &self.channel,
                'u' => &self.user_name,
                // Addresses are not shown: the placeholder IRC daemons use.
                'i' => "255.255.255.255",
                'h' | 's' => server(),
                'n' => &self.login,
                'f' => &flags,
                // Hops to the user's server, and seconds idle (not measured here).
                'd' | 'l' => "0",
                'a' => account,
                // No channel operator levels.
                'o' => "n/a",
                _ => &self.real_name,
            });
        }
        render::push(out, &render::numeric("354", &s.nick, &params));
    }
}

/// `WHO [mask [o | %fields[,token]]]`.
pub(super) fn who(s: &mut IrcSession, line: &Line) {
    let mask = line.param(0);
    let options = line.param(1);
    let shown = match options.strip_prefix('%') {
        Some(whox) => {
            let (fields, token) = whox.split_once(',').unwrap_or((whox, ""));
            // A token is at most three digits; another is not echoed.
            let token = if token.len() <= 3 && token.bytes().all(|b| b.is_ascii_digit()) {
                token
            } else {
                "0"
            };
            Shown {
                fields: Some(fields),
                token,
            }
        }
        None => Shown {
            fields: None,
            token: "",
        },
    };
    let operators_only = options.split('%').next().is_some_and(|o| o.contains('o'));
    let mut out = String::new();
    if !operators_only {
        for row in rows(s, mask).iter().take(MAX_LISTED) {
            row.write(s, &shown, &mut out);
        }
    }
    render::push(
        &mut out,
        &render::numeric(
            "315",
            &s.nick,
            &[if mask.is_empty() { "*" } else { mask }, "End of /WHO list"],
        ),
    );
    s.send_text(out);
}

/// The users `mask` names: a channel's members, one nick, or every nick that matches.
fn rows(s: &IrcSession, mask: &str) -> Vec<Row> {
    if let Some(name) = mask.strip_prefix('#') {
        let Some(view) = s.shared.hub.room_view(name) else {
            return Vec::new();
        };
        let chan = channel(&view.name);
        return view
            .members
            .iter()
            .filter_map(|m| Row::of(s, &validate::login_key(m), Some(&chan)))
            .collect();
    }
    if !mask.contains(['*', '?']) && !matches!(mask, "" | "0") {
        return Row::of(s, &validate::login_key(mask), None)
            .into_iter()
            .collect();
    }
    let everyone = matches!(mask, "" | "0");
    s.shared
        .hub
        .online_users()
        .into_iter()
        .filter(|u| everyone || matches(mask, &u.key))
        .take(MAX_LISTED)
        .filter_map(|u| Row::of(s, &u.key, None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn masks_match_with_stars_and_question_marks_in_any_case() {
        assert!(matches("coolni*", "coolNick"));
        assert!(matches("*", "ana"));
        assert!(matches("a?a", "ANA"));
        assert!(matches("*a*b*", "xxaYYb"));
        assert!(!matches("a?a", "anna"));
        assert!(!matches("coolni", "coolnick"));
        assert!(matches("**", ""));
        assert!(!matches("?", ""));
    }
}
