//! What the user is typing into the connect, login and register windows, and the checks that run
//! as they type. The checks are `chat-core`'s, so the form refuses exactly what the server would.

use chat_core::protocol::{Field, Gender, Password, Registration};
use chat_core::validate;

/// The login window's fields.
#[derive(Debug, Clone, Default)]
pub struct LoginForm {
    /// Login.
    pub login: String,
    /// Password; kept only while the window is shown.
    pub password: String,
    /// "Keep me signed in": keep the session (never the password) for the next start.
    pub keep_signed_in: bool,
}

impl LoginForm {
    /// Whether both fields have something to send.
    pub fn ready(&self) -> bool {
        !self.login.trim().is_empty() && !self.password.is_empty()
    }
}

/// The register window's fields.
#[derive(Debug, Clone)]
pub struct RegisterForm {
    /// First names.
    pub first_names: String,
    /// Last names.
    pub last_names: String,
    /// Login.
    pub login: String,
    /// Password.
    pub password: String,
    /// Password again.
    pub confirm: String,
    /// Age as typed.
    pub age: String,
    /// Gender.
    pub gender: Gender,
}

impl Default for RegisterForm {
    fn default() -> Self {
        RegisterForm {
            first_names: String::new(),
            last_names: String::new(),
            login: String::new(),
            password: String::new(),
            confirm: String::new(),
            age: String::new(),
            gender: Gender::PreferNotToSay,
        }
    }
}

/// Why a register field is not acceptable yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It breaks its field's rule (`chat-core`'s, the server's own); the interface words the
    /// rule from the field.
    Rule,
    /// The confirmation differs from the password.
    Mismatch,
}

/// Which register input a problem belongs to: a protocol field or the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A protocol field.
    Field(Field),
    /// The password confirmation.
    Confirm,
}

impl RegisterForm {
    /// The problem of each input that has been typed into (empty inputs are not blamed until
    /// the user tries to submit; `all` blames them too).
    pub fn problems(&self, all: bool) -> Vec<(Input, Problem)> {
        let mut out = Vec::new();
        let mut check = |input: Input, typed: &str, result: chat_core::Result<()>| {
            if (all || !typed.is_empty()) && result.is_err() {
                out.push((input, Problem::Rule));
            }
        };
        check(
            Input::Field(Field::FirstNames),
            &self.first_names,
            validate::person_name(Field::FirstNames, &self.first_names),
        );
        check(
            Input::Field(Field::LastNames),
            &self.last_names,
            validate::person_name(Field::LastNames, &self.last_names),
        );
        check(
            Input::Field(Field::Login),
            &self.login,
            validate::login(&self.login),
        );
        check(
            Input::Field(Field::Password),
            &self.password,
            validate::password(&self.password),
        );
        check(
            Input::Field(Field::Age),
            &self.age,
            validate::parse_age(&self.age).map(|_| ()),
        );
        if (all || !self.confirm.is_empty()) && self.confirm != self.password {
            out.push((Input::Confirm, Problem::Mismatch));
        }
        out
    }

    /// The registration to send, or `None` while any input has a problem.
    pub fn registration(&self) -> Option<Registration> {
        if !self.problems(true).is_empty() {
            return None;
        }
        let age = validate::parse_age(&self.age).ok()?;
        Some(Registration {
            first_names: self.first_names.clone(),
            last_names: self.last_names.clone(),
            login: self.login.clone(),
            password: Password(self.password.clone()),
            age,
            gender: self.gender,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> RegisterForm {
        RegisterForm {
            first_names: "José".into(),
            last_names: "Ñúñez".into(),
            login: "jose".into(),
            password: "contraseña1".into(),
            confirm: "contraseña1".into(),
            age: "30".into(),
            gender: Gender::Male,
        }
    }

    #[test]
    fn a_complete_form_makes_a_registration() {
        let r = filled().registration().unwrap();
        assert_eq!(r.login, "jose");
        assert_eq!(r.age, 30);
    }

    #[test]
    fn empty_inputs_are_blamed_only_on_submit() {
        let form = RegisterForm::default();
        assert!(form.problems(false).is_empty());
        assert_eq!(form.problems(true).len(), 5);
        assert!(form.registration().is_none());
    }

    #[test]
    fn each_bad_input_is_blamed_beside_itself() {
        let mut form = filled();
        form.login = "a b".into();
        form.confirm = "other".into();
        form.age = "7".into();
        let inputs: Vec<Input> = form.problems(false).into_iter().map(|(i, _)| i).collect();
        assert_eq!(
            inputs,
            [
                Input::Field(Field::Login),
                Input::Field(Field::Age),
                Input::Confirm
            ]
        );
    }

    #[test]
    fn the_login_form_needs_both_fields() {
        let mut form = LoginForm::default();
        assert!(!form.ready());
        form.login = "ana".into();
        form.password = "x".into();
        assert!(form.ready());
    }
}
