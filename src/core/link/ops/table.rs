//! The operations in flight, in the order they started, and the next operation id.
//!
//! Owns: the `Vec<ActiveOp>`, the id counter and the owner of every operation not yet finished.
//! Never decides how an operation ends and never emits events: the conductor takes operations
//! out and finishes them.

use std::collections::BTreeMap;
use std::time::Instant;

use super::ActiveOp;
use crate::core::link::{OpId, Owner};

#[derive(Debug)]
pub(in crate::core::link) struct OpTable {
    ops: Vec<ActiveOp>,
    next: u64,
    /// Who started each operation that has not finished yet (every operation finishes once).
    owners: BTreeMap<OpId, Owner>,
}

impl Default for OpTable {
    fn default() -> Self {
        Self {
            ops: Vec::new(),
            next: 1,
            owners: BTreeMap::new(),
        }
    }
}

impl OpTable {
    /// A fresh operation id, started by `owner`.
    pub(in crate::core::link) fn next_id(&mut self, owner: Owner) -> OpId {
        let id = OpId(self.next);
        self.next += 1;
        self.owners.insert(id, owner);
        id
    }

    /// Who started operation `id`, which finishes now (forgotten after).
    pub(in crate::core::link) fn finished_owner(&mut self, id: OpId) -> Owner {
        self.owners.remove(&id).unwrap_or(Owner::Tool)
    }

    /// Operations started and not finished yet.
    pub(in crate::core::link) fn unfinished(&self) -> usize {
        self.owners.len()
    }

    pub(in crate::core::link) fn push(&mut self, a: ActiveOp) {
        self.ops.push(a);
    }

    pub(in crate::core::link) fn len(&self) -> usize {
        self.ops.len()
    }

    pub(in crate::core::link) fn as_slice(&self) -> &[ActiveOp] {
        &self.ops
    }

    /// Takes out the operation `id`.
    pub(in crate::core::link) fn take(&mut self, id: OpId) -> Option<ActiveOp> {
        self.take_first(|a| a.id == id)
    }

    /// Takes out the oldest operation matching `pred`.
    pub(in crate::core::link) fn take_first(
        &mut self,
        pred: impl Fn(&ActiveOp) -> bool,
    ) -> Option<ActiveOp> {
        let i = self.ops.iter().position(pred)?;
        Some(self.ops.remove(i))
    }

    /// Takes out every operation whose deadline has passed at `now`, oldest first.
    pub(in crate::core::link) fn take_due(&mut self, now: Instant) -> Vec<ActiveOp> {
        let (due, keep) = std::mem::take(&mut self.ops)
            .into_iter()
            .partition(|a| a.deadline.is_some_and(|d| d <= now));
        self.ops = keep;
        due
    }

    /// Takes out every operation; give back the ones still running with [`Self::restore`].
    pub(in crate::core::link) fn take_all(&mut self) -> Vec<ActiveOp> {
        std::mem::take(&mut self.ops)
    }

    /// Puts `kept` back ahead of any operation started meanwhile.
    pub(in crate::core::link) fn restore(&mut self, mut kept: Vec<ActiveOp>) {
        kept.append(&mut self.ops);
        self.ops = kept;
    }

    /// An operation matching `pred` is running.
    pub(in crate::core::link) fn any(&self, pred: impl Fn(&ActiveOp) -> bool) -> bool {
        self.ops.iter().any(pred)
    }

    /// The earliest operation deadline.
    pub(in crate::core::link) fn next_deadline(&self) -> Option<Instant> {
        self.ops.iter().filter_map(|a| a.deadline).min()
    }
}
