//! `-u USER[:PASSWORD]`: the password from the argument, or asked on the terminal.

use std::io::IsTerminal;

use fetchall::Credentials;

/// Credentials from `-u`; without a password, asks for one on the terminal (echo
/// off), and fails with a hint when there is no terminal to ask on.
pub fn user_credentials(text: &str) -> Result<Credentials, String> {
    if let Some((user, password)) = text.split_once(':') {
        return Ok(Credentials::new(user, Some(password.to_string())));
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "-u {text}: no password given and no terminal to ask for it\n\
             hint: use -u {text}:PASSWORD, or --netrc / --netrc-file FILE"
        ));
    }
    let password = rpassword::prompt_password(format!("password for {text}: "))
        .map_err(|error| format!("cannot read the password: {error}"))?;
    Ok(Credentials::new(text, Some(password)))
}
