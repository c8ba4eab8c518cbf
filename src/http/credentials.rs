//! A user name and password, as `-u`, a start URL's `user:password@` or a `.netrc`
//! entry give them: its own file so that the netrc reader and the request rules
//! both use it without using each other.

use std::fmt;

/// A user name and password. Its `Debug` output masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password (empty when none was given).
    pub password: String,
}

impl Credentials {
    /// Credentials for `user`, with `password` or an empty one.
    pub fn new(user: impl Into<String>, password: Option<String>) -> Credentials {
        Credentials {
            user: user.into(),
            password: password.unwrap_or_default(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}:****)", self.user)
    }
}
