//! Host names looked up once per run. A run opens as many connections to a host as
//! it has requests in flight there, and reqwest asks the system resolver afresh for
//! each one: sixteen lookups of one name at the start of a run. Like wget, fetchall
//! keeps each answer for the rest of the run, and the connections that want a name
//! at the same moment share one lookup. A failed lookup is not kept: the next
//! connection (or retry) asks again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::OnceCell;

/// One name's answer: empty until its lookup succeeds, shared by the connections
/// that wait for it.
type Answer = Arc<OnceCell<Vec<SocketAddr>>>;

/// The run's DNS answers. Clones share them: every client of the run has one.
#[derive(Debug, Clone, Default)]
pub struct RunResolver {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
}

impl RunResolver {
    /// The addresses of `host`, looked up at most once while the lookup succeeds.
    /// Port 0 stands for the URL's port, which reqwest fills in.
    pub async fn lookup(&self, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        let answer = {
            let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(answers.entry(host.to_ascii_lowercase()).or_default())
        };
        let addresses = answer
            .get_or_try_init(|| async {
                let addresses: Vec<SocketAddr> =
                    tokio::net::lookup_host((host, 0)).await?.collect();
                if addresses.is_empty() {
                    return Err(std::io::Error::other(format!("no address for {host}")));
                }
                Ok(addresses)
            })
            .await?;
        Ok(addresses.clone())
    }

    /// How many names have an answer kept.
    #[cfg(test)]
    fn names_known(&self) -> usize {
        let answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers
            .values()
            .filter(|answer| answer.initialized())
            .count()
    }
}

/// reqwest's side: each connection's lookup goes through the run's answers.
impl Resolve for RunResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addresses = resolver.lookup(name.as_str()).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_is_kept_for_the_run() {
        // `localhost` comes from /etc/hosts: no query leaves the machine.
        let resolver = RunResolver::default();
        assert_eq!(resolver.names_known(), 0);
        let first = resolver
            .lookup("localhost")
            .await
            .expect("localhost resolves");
        assert!(first.iter().all(|address| address.ip().is_loopback()));
        let again = resolver.lookup("LOCALHOST").await.expect("kept");
        assert_eq!(first, again);
        assert_eq!(resolver.names_known(), 1);
    }
}
