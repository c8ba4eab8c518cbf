//! Entry → verdict, pure: which links are in scope, the user's filters, shards.

pub mod filter;
pub mod scope;
pub mod shard;
