//! Who may log in: every user's names in memory (`directory`), passwords checked and hashed on
//! a pool of their own (`passwords`), session tokens (`tokens`), and the limits on failed logins
//! and new accounts (`throttle`); who left lately (`departures`).

pub(crate) mod departures;
pub(crate) mod directory;
pub(crate) mod passwords;
pub(crate) mod throttle;
pub(crate) mod tokens;
