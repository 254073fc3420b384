//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct BrowserExtensions;

impl Collector for BrowserExtensions {
    fn name(&self) -> &'static str {
        "browser"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
