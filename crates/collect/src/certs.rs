//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct CaStores;

impl Collector for CaStores {
    fn name(&self) -> &'static str {
        "certs"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
