//! One module per group of broker operations, each an `impl Broker` block next to the scripts it
//! runs (spec §4).

pub mod aggregation;
pub mod batch;
pub mod cancel;
pub mod complete;
pub mod dequeue;
pub mod enqueue;
pub mod fail;
pub mod forward;
pub mod group;
pub mod inspect_bulk;
pub mod inspect_control;
pub mod inspect_list;
pub mod inspect_read;
pub mod inspect_servers;
pub mod janitor;
pub mod lease;
pub mod poison;
pub mod result;
pub mod server_state;
pub mod stats;
pub mod subscription;
