//! Primary and secondary suppression on an organisational hierarchy.
//!
//! Published counts add up the tree (a förvaltning's n is the sum of its enheter's n), so
//! blanking a small group is not enough: a visible parent minus its visible children would
//! give it back. Rules, applied until nothing changes, to every family (a node and its
//! children). A blanked group with no valid answers (n = 0) is protected like any other:
//! that nobody in a small unit answered an item is itself information about that unit.
//!
//! 1. *Primary*: a node with n < min_group (or with fewer respondents than that) is blanked.
//! 2. A visible parent whose blanked children number exactly one, or whose blanked children
//!    together hold fewer than min_group, gets its smallest visible child blanked too; if no
//!    child is left to blank, the parent itself is blanked.
//! 3. A blanked parent must keep at least one blanked child, or summing its children would
//!    give it back: the smallest visible child is blanked.
//!
//! With every family holding zero or at least two unknowns, each blanked value lies on a
//! path of unknowns between two free ends, so it can be moved without changing any visible
//! number: no blanked count can be derived (checked by a property test that solves the
//! linear system).

/// A rooted forest: `parent[i]` is `None` for roots. Nodes are numbered 0..len.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
}

impl Tree {
    pub fn from_parents(parent: Vec<Option<usize>>) -> Self {
        let mut children = vec![Vec::new(); parent.len()];
        for (node, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(node);
            }
        }
        Tree { parent, children }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}

/// Why a value was blanked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Fewer than `min_group` answers or respondents.
    Primary,
    /// Blanked so that a small sibling (or this node's own child) cannot be derived.
    Secondary,
    /// No answers at all: nothing to publish.
    NoAnswers,
}

impl Reason {
    pub fn describe(self, min_group: u64) -> String {
        match self {
            Reason::Primary => format!("primary: fewer than {min_group} answers"),
            Reason::Secondary => {
                "secondary: blanked so that a suppressed group cannot be derived from its parent and siblings".to_string()
            }
            Reason::NoAnswers => "no answers".to_string(),
        }
    }
}

/// Suppression status per node. `n` are the published counts, `respondents` the group sizes.
pub fn suppress(
    tree: &Tree,
    n: &[u64],
    respondents: &[u64],
    min_group: u64,
) -> Vec<Option<Reason>> {
    let mut status: Vec<Option<Reason>> = (0..tree.len())
        .map(|i| {
            if n[i] == 0 {
                Some(Reason::NoAnswers)
            } else if n[i] < min_group || respondents[i] < min_group {
                Some(Reason::Primary)
            } else {
                None
            }
        })
        .collect();
    // Each pass blanks at least one more node or stops, so at most len passes.
    loop {
        let mut changed = false;
        for node in 0..tree.len() {
            if let Some(target) = family_violation(tree, n, &status, node, min_group) {
                status[target] = Some(Reason::Secondary);
                changed = true;
            }
        }
        if !changed {
            return status;
        }
    }
}

/// The node to blank next to make the family of `node` safe, if it is not.
fn family_violation(
    tree: &Tree,
    n: &[u64],
    status: &[Option<Reason>],
    node: usize,
    min_group: u64,
) -> Option<usize> {
    let children = &tree.children[node];
    if children.is_empty() {
        return None;
    }
    let blanked: Vec<usize> = children
        .iter()
        .copied()
        .filter(|&c| status[c].is_some())
        .collect();
    let smallest_visible = children
        .iter()
        .copied()
        .filter(|&c| status[c].is_none())
        .min_by_key(|&c| (n[c], c));
    if status[node].is_some() {
        // Rule 3: a blanked parent must not be the sum of visible children.
        return if blanked.is_empty() {
            smallest_visible
        } else {
            None
        };
    }
    let blanked_total: u64 = blanked.iter().map(|&c| n[c]).sum();
    let exposed = blanked.len() == 1 || (!blanked.is_empty() && blanked_total < min_group);
    if !exposed {
        return None;
    }
    // Rule 2: blank another child, or the parent when no child is left.
    Some(smallest_visible.unwrap_or(node))
}
