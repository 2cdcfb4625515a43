//! Reactions as lines and private messages keep them: who put which emoji, in the order they
//! came. Below both the room (which keeps a line's reactions) and the actions that change them.

/// Reactions as a line or message keeps them: each emoji, how many, and everyone who put it.
pub fn counted(reactors: &[(String, Vec<String>)]) -> Vec<chat_core::protocol::Reaction> {
    reactors
        .iter()
        .map(|(emoji, by)| chat_core::protocol::Reaction {
            emoji: emoji.clone(),
            count: u32::try_from(by.len()).unwrap_or(u32::MAX),
            by: by.clone(),
        })
        .collect()
}

/// Puts `name`'s `emoji` among `reactors` (`on`), or takes it off; an emoji nobody has any more
/// goes. Returns whether anything changed.
pub fn toggle(
    reactors: &mut Vec<(String, Vec<String>)>,
    emoji: &str,
    name: &str,
    on: bool,
) -> bool {
    let at = reactors.iter().position(|(e, _)| e == emoji);
    match (at, on) {
        (Some(at), true) => {
            let by = &mut reactors[at].1;
            if by.iter().any(|n| n == name) {
                return false;
            }
            by.push(name.to_owned());
            true
        }
        (None, true) => {
            reactors.push((emoji.to_owned(), vec![name.to_owned()]));
            true
        }
        (Some(at), false) => {
            let by = &mut reactors[at].1;
            let before = by.len();
            by.retain(|n| n != name);
            let changed = by.len() != before;
            if by.is_empty() {
                reactors.remove(at);
            }
            changed
        }
        (None, false) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_is_counted_once_per_user_and_goes_with_its_last_reactor() {
        let mut reactors = Vec::new();
        assert!(toggle(&mut reactors, "👍", "ana", true));
        assert!(!toggle(&mut reactors, "👍", "ana", true), "twice is once");
        assert!(toggle(&mut reactors, "👍", "bob", true));
        assert!(toggle(&mut reactors, "🎉", "ana", true));
        assert_eq!(reactors[0].1, ["ana", "bob"]);
        assert!(toggle(&mut reactors, "👍", "ana", false));
        assert!(!toggle(&mut reactors, "👍", "ana", false));
        assert!(toggle(&mut reactors, "👍", "bob", false));
        assert_eq!(reactors.len(), 1, "👍 went with its last reactor");
        assert_eq!(reactors[0].0, "🎉");
    }
}
