//! The module graph: the top-level modules of the library (and of the binary)
//! must import each other one way only. The test reads `src/**/*.rs`, takes
//! every `crate::x` path and every `super::` path that climbs to the crate
//! root, and fails on a cycle, printing it.
//!
//! Print the graph: `cargo test --test it architecture -- --nocapture`.
//!
//! The reader scans text, not a syntax tree: comments are skipped, and a
//! `super::` path is counted from its file's module, so one inside an inline
//! `mod { }` (such as `mod tests`) is read one level higher than the compiler
//! reads it; that adds an edge only when it names an item called like a
//! top-level module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module -> the top-level modules it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn the_library_modules_import_each_other_one_way() {
    let graph = crate_graph("lib.rs");
    println!("library modules:\n{}", show(&graph));
    let loops = all_loops(&graph);
    assert!(
        loops.is_empty(),
        "the library's modules form loops:\n  {}\n\nthe graph:\n{}",
        loops.join("\n  "),
        show(&graph)
    );
}

/// The reference gateway imports nothing from the rest of the crate, so it
/// can become a crate of its own by a mechanical move (see ARCHITECTURE.md).
#[test]
fn the_gateway_imports_nothing_from_the_rest() {
    let graph = crate_graph("lib.rs");
    let used = graph.get("gateway").expect("a gateway module");
    assert!(used.is_empty(), "gateway imports {used:?}");
}

#[test]
fn the_binary_modules_import_each_other_one_way() {
    let graph = crate_graph("main.rs");
    println!("binary modules:\n{}", show(&graph));
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the binary's modules form a loop: {}", cycle.join(" -> "));
    }
}

/// Inside each folder of `src/`, the files (its child modules) import each
/// other one way only too: a child names a sibling as `super::sibling` or
/// `crate::folder::sibling`; what `mod.rs` re-exports (the facade) is no
/// sibling.
#[test]
fn the_files_of_each_folder_import_each_other_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for folder in folders(&src) {
        let graph = folder_graph(&src, &folder);
        for cycle in all_loops(&graph) {
            problems.push(format!("src/{folder}: {cycle}"));
        }
    }
    assert!(
        problems.is_empty(),
        "files of a folder form loops:\n  {}",
        problems.join("\n  ")
    );
}

/// Every folder below `src/`, as a path relative to it (`cli`, `runner`).
fn folders(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![src.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push(
                    path.strip_prefix(src)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
                todo.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The child modules of `src/<folder>/` (files and subfolders, not
/// `mod.rs`) and the siblings each one names.
fn folder_graph(src: &Path, folder: &str) -> Graph {
    let dir = src.join(folder);
    let children: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            (path.is_dir() || path.extension().is_some_and(|x| x == "rs"))
                .then_some(name)
                .filter(|n| n != "mod")
        })
        .collect();
    let crate_prefix = format!("crate::{}::", folder.replace('/', "::"));
    let mut graph = Graph::new();
    for child in &children {
        let mut files = vec![dir.join(format!("{child}.rs"))];
        files.extend(crate::support::rust_files(&dir.join(child)));
        let mut used = BTreeSet::new();
        for file in files.iter().filter(|f| f.is_file()) {
            let depth = module_path(src, file).len() - folder.split('/').count();
            let text = strip_comments(&std::fs::read_to_string(file).unwrap());
            // `super::` climbs from the file's module: one level for a
            // child file, more for a file deeper in the child's folder.
            let up = "super::".repeat(depth.max(1));
            for prefix in [up.as_str(), crate_prefix.as_str()] {
                for (i, _) in text.match_indices(prefix) {
                    let before = text[..i].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                        continue;
                    }
                    let rest = &text[i + prefix.len()..];
                    if rest.starts_with("super::") {
                        continue;
                    }
                    first_segments(rest, &mut used);
                }
            }
        }
        used.retain(|m| children.contains(m) && m != child);
        graph.insert(child.clone(), used);
    }
    graph
}

#[test]
fn the_graph_reader_sees_every_kind_of_path() {
    let text = "use crate::report::Severity;\n\
                use crate::{suite::Case, runner::{RunPlan}};\n\
                // crate::gateway in a comment does not count\n\
                fn f() { super::render::json(); crate::checks::run() }\n";
    let modules: BTreeSet<String> = ["report", "suite", "runner", "gateway", "render", "checks"]
        .map(str::to_owned)
        .into();
    let used = uses(text, &[String::from("x")], &modules);
    let expected: BTreeSet<String> = ["report", "suite", "runner", "render", "checks"]
        .map(str::to_owned)
        .into();
    assert_eq!(used, expected);
    let mut looped = Graph::new();
    looped.entry("a".into()).or_default().insert("b".into());
    looped.entry("b".into()).or_default().insert("c".into());
    looped.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&looped),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(all_loops(&looped), ["a -> b -> c -> a"]);
    looped.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&looped), None);
    assert!(all_loops(&looped).is_empty());
}

/// The graph of the crate whose root file is `src/<root>`: its `mod` items
/// are the nodes.
fn crate_graph(root: &str) -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let root_text = std::fs::read_to_string(src.join(root)).expect("the crate root is readable");
    let modules: BTreeSet<String> = strip_comments(&root_text)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect();
    assert!(!modules.is_empty(), "no `mod` item in src/{root}");
    let mut graph = Graph::new();
    for module in &modules {
        let mut used = BTreeSet::new();
        for file in module_files(&src, module) {
            let text = std::fs::read_to_string(&file).expect("a source file is readable");
            used.extend(uses(&text, &module_path(&src, &file), &modules));
        }
        used.remove(module);
        graph.insert(module.clone(), used);
    }
    graph
}

/// `src/<module>.rs` and every file under `src/<module>/`.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    out.extend(crate::support::rust_files(&src.join(module)));
    out
}

/// The module path of a file: `src/a/b.rs` is `[a, b]`, `src/a/mod.rs` is `[a]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src/");
    let mut path: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|l| l == "mod") {
        path.pop();
    }
    path
}

/// The top-level modules that `text` (a file at module path `at`) names by a
/// `crate::` path or by a `super::` path that reaches the crate root.
fn uses(text: &str, at: &[String], modules: &BTreeSet<String>) -> BTreeSet<String> {
    let text = strip_comments(text);
    let mut used = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `mycrate::`
        }
        first_segments(&text[i + "crate::".len()..], &mut used);
    }
    for (i, _) in text.match_indices("super::") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // counted from the first `super::` of a chain
        }
        let mut rest = &text[i..];
        let mut depth = at.len();
        while let Some(r) = rest.strip_prefix("super::") {
            rest = r;
            depth = depth.saturating_sub(1);
        }
        if depth == 0 {
            first_segments(rest, &mut used);
        }
    }
    used.retain(|m| modules.contains(m));
    used
}

/// The first segment of a path, or of each path of a `{a::x, b}` group.
fn first_segments(rest: &str, out: &mut BTreeSet<String>) {
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0usize;
        let mut start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && (c.is_alphanumeric() || c == '_') => {
                    out.insert(identifier(&group[i..]));
                    start = false;
                }
                _ => {}
            }
        }
    } else {
        out.insert(identifier(rest));
    }
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The text without `//` comments (doc comments included).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A cycle as `a -> b -> ... -> a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The shortest loop through each module that is on one, each loop once.
fn all_loops(graph: &Graph) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut loops = Vec::new();
    for start in graph.keys() {
        // Breadth-first from `start` back to `start`: the shortest loop.
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.as_str()]);
        let mut closing = None;
        while let Some(node) = queue.pop_front() {
            for next in graph.get(node).into_iter().flatten() {
                if next == start {
                    closing = Some(node);
                    break;
                }
                if !parent.contains_key(next.as_str()) {
                    parent.insert(next, node);
                    queue.push_back(next);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let Some(mut node) = closing else {
            continue;
        };
        let mut path = vec![start.as_str()];
        while node != start {
            path.push(node);
            node = parent[node];
        }
        path[1..].reverse();
        let members: BTreeSet<&str> = path.iter().copied().collect();
        if seen.insert(members) {
            path.push(start);
            loops.push(path.join(" -> "));
        }
    }
    loops
}

fn show(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, used)| {
            let used: Vec<&str> = used.iter().map(String::as_str).collect();
            format!("  {module} -> {}", used.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
