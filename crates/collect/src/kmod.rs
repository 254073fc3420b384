//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct KernelModules;

impl Collector for KernelModules {
    fn name(&self) -> &'static str {
        "kmod"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
