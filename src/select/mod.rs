//! Entry → verdict, pure: which links are in scope, the user's filters, shards.

pub(crate) mod filter;
pub(crate) mod scope;
pub(crate) mod shard;

pub use filter::{FilterError, Filters, parse_size};
pub use scope::{Scope, Verdict};
pub use shard::Shard;
