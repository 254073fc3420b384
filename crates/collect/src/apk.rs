//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Apk;

impl Collector for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
