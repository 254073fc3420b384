//! Shortest paths from the subject to every component, over nesting and
//! dependency edges together.

use std::collections::VecDeque;

/// Longest path kept, in labels. A hostile SBOM can chain 100k components
/// one after another, and full paths would then cost O(n²) memory; past this
/// length the path keeps its root, a `…` marker and the last labels.
pub(crate) const MAX_PATH: usize = 16;

/// Marker standing for the labels left out of an over-long path.
pub(crate) const ELIDED: &str = "…";

/// Index standing for the labels left out of an over-long path.
const ELIDED_INDEX: usize = usize::MAX;

/// For every node, the node indices of its path: the shortest chain from one
/// of `sources` over `adj` (breadth-first, ties broken by edge order, cycles
/// cut by the visited set); for a node no source reaches, the chain of its
/// nesting parents (`parent`), or just itself. Each path is built from its
/// predecessor's and bounded to [`MAX_PATH`], so the whole costs O(n·MAX_PATH)
/// whatever the shape of the graph.
pub(crate) fn shortest_paths(
    sources: &[usize],
    adj: &[Vec<usize>],
    parent: &[Option<usize>],
) -> Vec<Vec<usize>> {
    let n = adj.len();
    const UNSEEN: usize = usize::MAX;
    let mut pred = vec![UNSEEN; n];
    let mut paths: Vec<Option<Vec<usize>>> = vec![None; n];
    let mut queue = VecDeque::new();
    for &s in sources {
        if s < n && paths[s].is_none() {
            paths[s] = Some(vec![s]);
            queue.push_back(s);
        }
    }
    while let Some(u) = queue.pop_front() {
        for &v in &adj[u] {
            if v < n && paths[v].is_none() && pred[v] == UNSEEN {
                pred[v] = u;
                let p = extend(paths[u].as_deref().unwrap_or(&[u]), v);
                paths[v] = Some(p);
                queue.push_back(v);
            }
        }
    }
    // Not reached: the nesting parents' chain. Parents usually come first in
    // document order; the explicit stack handles any order, and the step
    // bound a parent cycle.
    for v in 0..n {
        if paths[v].is_some() {
            continue;
        }
        let mut stack = vec![v];
        let mut u = v;
        while let Some(p) = parent[u] {
            if p >= n || paths[p].is_some() || stack.len() > n {
                break;
            }
            stack.push(p);
            u = p;
        }
        let mut base: Option<Vec<usize>> = parent[u].and_then(|p| paths.get(p).cloned().flatten());
        while let Some(w) = stack.pop() {
            let p = match &base {
                Some(b) => extend(b, w),
                None => vec![w],
            };
            if paths[w].is_none() {
                paths[w] = Some(p.clone());
            }
            base = Some(p);
        }
    }
    paths
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.unwrap_or_else(|| vec![i]))
        .collect()
}

/// `path` followed by `v`, keeping the root, an elision mark and the last
/// labels once it would pass [`MAX_PATH`].
fn extend(path: &[usize], v: usize) -> Vec<usize> {
    if path.len() < MAX_PATH {
        let mut p = Vec::with_capacity(path.len() + 1);
        p.extend_from_slice(path);
        p.push(v);
        return p;
    }
    let body: Vec<usize> = path[1..]
        .iter()
        .copied()
        .filter(|&i| i != ELIDED_INDEX)
        .collect();
    let mut p = Vec::with_capacity(MAX_PATH);
    p.push(path[0]);
    p.push(ELIDED_INDEX);
    p.extend_from_slice(&body[body.len() - (MAX_PATH - 3)..]);
    p.push(v);
    p
}

/// Labels of a node path.
pub(crate) fn labels(path: &[usize], label: &[String]) -> Vec<String> {
    path.iter()
        .map(|&i| label.get(i).cloned().unwrap_or_else(|| ELIDED.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_path_wins_and_cycles_end() {
        // 0 -> 1 -> 2 -> 3, 0 -> 3, 3 -> 0 (cycle), 4 nested in 5, 5 unreachable.
        let adj = vec![vec![1, 3], vec![2], vec![3], vec![0], vec![], vec![4]];
        let parent = vec![None, None, None, None, Some(5), None];
        let p = shortest_paths(&[0], &adj, &parent);
        assert_eq!(p[3], vec![0, 3]);
        assert_eq!(p[2], vec![0, 1, 2]);
        assert_eq!(p[0], vec![0]);
        assert_eq!(p[4], vec![5, 4]);
        assert_eq!(p[5], vec![5]);
    }

    #[test]
    fn long_chains_are_cut_with_a_marker() {
        let n = 1000;
        let adj: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let parent = vec![None; n];
        let p = shortest_paths(&[0], &adj, &parent);
        assert_eq!(p[n - 1].len(), MAX_PATH);
        let label: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let l = labels(&p[n - 1], &label);
        assert_eq!(l.len(), MAX_PATH);
        assert_eq!(l[0], "0");
        assert_eq!(l[1], ELIDED);
        assert_eq!(l.last().unwrap(), "999");
    }
}
