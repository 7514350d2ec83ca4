//! The routing model (flow-json-rules.md §9): the explicit `routing_model`, or the one derived from
//! `navigate` actions when there is none.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::Cx;
use crate::diagnostic::Rule;
use crate::model::Action;
use crate::pointer;

/// Every `navigate` in the flow: (from screen index, target id, pointer of `next.name`).
fn navigations(cx: &Cx<'_>) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (i, info) in cx.screens.iter().enumerate() {
        for v in &info.visits {
            for (path, action) in v.component.actions() {
                if let Action::Navigate(nav) = action {
                    let mut at = v.pointer.clone();
                    for token in path.iter().map(String::as_str).chain(["next", "name"]) {
                        pointer::push_token(&mut at, token);
                    }
                    out.push((i, nav.next.name.clone(), at));
                }
            }
        }
    }
    out
}

pub(super) fn check(cx: &mut Cx<'_>) {
    if cx.screens.is_empty() {
        return;
    }
    let navs = navigations(cx);
    let ids: Vec<String> = cx.screens.iter().map(|s| s.screen.id.clone()).collect();
    let known: HashSet<&str> = ids.iter().map(String::as_str).collect();
    match cx.flow.routing_model.clone() {
        Some(model) => explicit(cx, &model, &navs, &ids, &known),
        // Reported as missing-routing-model; a model derived from navigate actions says nothing
        // about an endpoint flow.
        None if cx.has_endpoint() => {}
        None => derived(cx, &navs, &ids, &known),
    }
}

fn explicit(
    cx: &mut Cx<'_>,
    model: &BTreeMap<String, Vec<String>>,
    navs: &[(usize, String, String)],
    ids: &[String],
    known: &HashSet<&str>,
) {
    let rm = "/routing_model";
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (from, targets) in model {
        let from_at = pointer::join(rm, from);
        if !known.contains(from.as_str()) {
            cx.push(Rule::RoutingUnknownScreen, &from_at, format!("the routing model has routes from \"{from}\", which is not a screen of this flow"));
            // Its routes would only add findings that follow from this one.
            continue;
        }
        if targets.len() > 10 {
            cx.push(
                Rule::RoutingTooManyBranches,
                &from_at,
                format!(
                    "screen {from} has {} routes; at most 10 branches are allowed per screen",
                    targets.len()
                ),
            );
        }
        for (j, to) in targets.iter().enumerate() {
            let to_at = pointer::index(&from_at, j);
            if to == from {
                cx.push(
                    Rule::RoutingSelfRoute,
                    to_at,
                    format!("screen {from} routes to itself: remove it from its own list"),
                );
                continue;
            }
            if !known.contains(to.as_str()) {
                cx.push(Rule::RoutingUnknownScreen, to_at, format!("the routing model routes {from} to \"{to}\", which is not a screen of this flow"));
                continue;
            }
            if edges.contains(&(to.clone(), from.clone())) {
                cx.push(
                    Rule::RoutingBackwardRoute,
                    to_at,
                    format!("backward route [{from} -> {to}] next to the forward route [{to} -> {from}]: list only forward routes (Back works without them)"),
                );
                continue;
            }
            edges.insert((from.clone(), to.clone()));
        }
    }
    if cx.has_endpoint() && ids.len() > 1 {
        let mentioned: HashSet<&str> = model
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.as_str()).chain(v.iter().map(String::as_str)))
            .collect();
        let missing: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| !mentioned.contains(id))
            .collect();
        if !missing.is_empty() {
            cx.push(
                Rule::RoutingMissingScreen,
                rm,
                format!(
                    "these screens are missing in the routing model: {}",
                    missing.join(", ")
                ),
            );
        }
    }
    let mentioned: Vec<String> = ids
        .iter()
        .filter(|id| model.contains_key(*id) || model.values().any(|t| t.contains(id)))
        .cloned()
        .collect();
    let inbound: HashSet<&str> = edges.iter().map(|(_, to)| to.as_str()).collect();
    if mentioned.len() > 1
        && !edges.is_empty()
        && mentioned.iter().all(|id| inbound.contains(id.as_str()))
    {
        // A graph without an entry has a cycle too; this is the clearer message.
        cx.push(
            Rule::RoutingNoEntry,
            rm,
            "no entry screen: every screen has an inbound route; the first screen must have none",
        );
    } else if let Some(cycle) = find_cycle(&edges) {
        // Two-screen cycles are reported as backward routes.
        cx.push(
            Rule::RoutingCycle,
            rm,
            format!(
                "loop detected in the routing model for screens: {}",
                cycle.join(" -> ")
            ),
        );
    }
    if mentioned.len() > 1 && (cx.has_endpoint() || !edges.is_empty()) {
        disconnected(cx, &edges, &mentioned, rm, "the routing model");
    }
    for (i, target, at) in navs {
        let Some(from) = ids.get(*i) else { continue };
        if target == from || !known.contains(target.as_str()) {
            continue; // reported with the action
        }
        if !edges.contains(&(from.clone(), target.clone()))
            && !model.get(from).is_some_and(|t| t.contains(target))
        {
            cx.push(
                Rule::RoutingMissingRoute,
                at.clone(),
                format!("screen {from} navigates to {target}, but the routing model has no route {from} -> {target}: add \"{target}\" to routing_model.{from}"),
            );
        }
    }
}

fn derived(
    cx: &mut Cx<'_>,
    navs: &[(usize, String, String)],
    ids: &[String],
    known: &HashSet<&str>,
) {
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, target, _) in navs {
        if let Some(from) = ids.get(*i)
            && target != from
            && known.contains(target.as_str())
        {
            edges.insert((from.clone(), target.clone()));
        }
    }
    let mut branches: BTreeMap<&str, usize> = BTreeMap::new();
    for (from, _) in &edges {
        *branches.entry(from.as_str()).or_default() += 1;
    }
    for (from, n) in branches {
        if n > 10 {
            let at = cx
                .by_id
                .get(from)
                .map_or_else(String::new, |i| pointer::index("/screens", *i));
            cx.push(Rule::RoutingTooManyBranches, at, format!("screen {from} navigates to {n} screens; at most 10 branches are allowed per screen: reduce its navigate actions"));
        }
    }
    if ids.len() < 2 {
        return;
    }
    let inbound: HashSet<&str> = edges.iter().map(|(_, to)| to.as_str()).collect();
    if ids.iter().all(|id| inbound.contains(id.as_str())) {
        cx.push(Rule::RoutingNoEntry, "/screens", "no entry screen: every screen is the target of a navigate action; the first screen must be the target of none");
    }
    disconnected(cx, &edges, ids, "/screens", "the navigate actions");
}

/// Screens outside the first screen's connected component (edges taken both ways).
fn disconnected(
    cx: &mut Cx<'_>,
    edges: &BTreeSet<(String, String)>,
    ids: &[String],
    at: &str,
    what: &str,
) {
    let Some(first) = ids.first() else { return };
    let mut seen: HashSet<&str> = HashSet::from([first.as_str()]);
    let mut stack = vec![first.as_str()];
    while let Some(s) = stack.pop() {
        for (a, b) in edges {
            let next = if a == s {
                b.as_str()
            } else if b == s {
                a.as_str()
            } else {
                continue;
            };
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    let apart: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| !seen.contains(id))
        .collect();
    if !apart.is_empty() {
        let p = if apart.len() == 1 {
            cx.by_id
                .get(apart.first().copied().unwrap_or_default())
                .map_or(at.to_owned(), |i| pointer::index("/screens", *i))
        } else {
            at.to_owned()
        };
        cx.push(
            Rule::RoutingDisconnected,
            p,
            format!(
                "these screens are not connected with the rest of the screens through {what}: {}",
                apart.join(", ")
            ),
        );
    }
}

fn find_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        adj.entry(a.as_str()).or_default().push(b.as_str());
    }
    // Iterative DFS with colours: 1 = on the stack, 2 = done.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for &start in adj.keys() {
        if colour.contains_key(start) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some((node, idx)) = path.last().copied() {
            let next = adj.get(node).and_then(|n| n.get(idx)).copied();
            if let Some(last) = path.last_mut() {
                last.1 += 1;
            }
            match next {
                None => {
                    colour.insert(node, 2);
                    path.pop();
                }
                Some(n) => match colour.get(n) {
                    Some(1) => {
                        let from = path.iter().position(|(p, _)| *p == n).unwrap_or(0);
                        let mut cycle: Vec<String> = path
                            .iter()
                            .skip(from)
                            .map(|(p, _)| (*p).to_owned())
                            .collect();
                        cycle.push(n.to_owned());
                        return Some(cycle);
                    }
                    Some(_) => {}
                    None => {
                        colour.insert(n, 1);
                        path.push((n, 0));
                    }
                },
            }
        }
    }
    None
}
