//! `.netrc` files, as curl and wget read them: `machine HOST login USER password
//! PASS` entries (tokens separated by any whitespace, so one entry may span lines),
//! a `default` entry for any other host, and `macdef` macros (skipped).

use crate::http::credentials::Credentials;

/// The entries of a `.netrc` file.
#[derive(Debug, Clone, Default)]
pub struct Netrc {
    machines: Vec<(String, Credentials)>,
    default: Option<Credentials>,
}

impl Netrc {
    /// Reads the text of a `.netrc` file. Unknown tokens are ignored.
    pub fn parse(text: &str) -> Netrc {
        let mut netrc = Netrc::default();
        // (machine name or None for `default`, login, password)
        let mut current: Option<(Option<String>, String, String)> = None;
        let mut lines = text.lines();
        let mut tokens: Vec<String> = Vec::new();
        // macdef bodies run to the next blank line: drop them line by line.
        while let Some(line) = lines.next() {
            for word in line.split_whitespace() {
                if word == "macdef" {
                    for body in lines.by_ref() {
                        if body.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                if word.starts_with('#') && tokens.last().is_none_or(|last| last != "password") {
                    break;
                }
                tokens.push(word.to_string());
            }
        }
        let mut tokens = tokens.into_iter();
        let finish = |netrc: &mut Netrc, entry: Option<(Option<String>, String, String)>| {
            if let Some((machine, login, password)) = entry {
                let credentials = Credentials::new(login, Some(password));
                match machine {
                    Some(machine) => netrc
                        .machines
                        .push((machine.to_ascii_lowercase(), credentials)),
                    None => netrc.default = netrc.default.take().or(Some(credentials)),
                }
            }
        };
        while let Some(token) = tokens.next() {
            match token.as_str() {
                "machine" => {
                    finish(&mut netrc, current.take());
                    current = tokens
                        .next()
                        .map(|machine| (Some(machine), String::new(), String::new()));
                }
                "default" => {
                    finish(&mut netrc, current.take());
                    current = Some((None, String::new(), String::new()));
                }
                "login" => {
                    if let (Some(entry), Some(login)) = (current.as_mut(), tokens.next()) {
                        entry.1 = login;
                    }
                }
                "password" => {
                    if let (Some(entry), Some(password)) = (current.as_mut(), tokens.next()) {
                        entry.2 = password;
                    }
                }
                "account" => {
                    tokens.next();
                }
                _ => {}
            }
        }
        finish(&mut netrc, current.take());
        netrc
    }

    /// The credentials for `host` (case-insensitive), or the `default` entry. The
    /// first matching `machine` wins, as in curl.
    pub fn credentials_for(&self, host: &str) -> Option<&Credentials> {
        let host = host.to_ascii_lowercase();
        self.machines
            .iter()
            .find(|(machine, _)| *machine == host)
            .map(|(_, credentials)| credentials)
            .or(self.default.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_default_and_macros() {
        let netrc = Netrc::parse(
            "# comment\nmachine Files.Example.org login ann password s3cret\n\
             macdef init\ncd /pub\nget x\n\nmachine other\n  login bob\n  password b#b\n\
             default login anonymous password me@example.org\n",
        );
        let user = |host: &str| {
            netrc
                .credentials_for(host)
                .map(|credentials| (credentials.user.clone(), credentials.password.clone()))
        };
        assert_eq!(
            user("files.example.org"),
            Some(("ann".into(), "s3cret".into()))
        );
        assert_eq!(user("other"), Some(("bob".into(), "b#b".into())));
        assert_eq!(
            user("elsewhere"),
            Some(("anonymous".into(), "me@example.org".into()))
        );
        assert!(
            Netrc::parse("machine a login x password y")
                .credentials_for("b")
                .is_none()
        );
    }
}
