//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Pacman;

impl Collector for Pacman {
    fn name(&self) -> &'static str {
        "pacman"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
