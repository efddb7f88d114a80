//! Start-up failures said in one line. `main` returning `Err` would print the error's `Debug`
//! form (`Key(WeakHashKey { name: .. })`); an operator reading a function's log needs the message
//! the error already has ("NUMBER_HASH_KEY must be base64 of at least 32 random bytes ...").

use std::fmt::Display;

/// The value, or exit the process after printing `Error: <message>` as one line.
pub fn or_exit<T, E: Display>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => {
            eprintln!("{}", startup_line(&e));
            std::process::exit(1)
        }
    }
}

/// What [`or_exit`] prints: the message on one line, whatever the error's text holds.
pub fn startup_line(error: &impl Display) -> String {
    let message = error.to_string().replace(['\n', '\r'], " ");
    format!("Error: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;

    #[test]
    fn the_line_is_the_message_not_the_debug_form() {
        let line = startup_line(&ConfigError::Missing("TABLE_NAME"));
        assert_eq!(line, "Error: TABLE_NAME is not set");
        assert_eq!(startup_line(&"a\nb"), "Error: a b");
    }
}
