//! Takes the main config path (or text) and the `-D` names and gives one evaluated tree:
//! `Include`/`IncludeOptional` spliced in (globs, directories, loop and depth checks),
//! `Define`/`UnDefine`/`${VAR}` applied, `<IfDefine>`/`<IfModule>` decided, `LoadModule` and
//! `NameVirtualHost` handled; with the source map for every file read.

use super::ast::{self, Directive, Node, Section};
use super::diag::{Diagnostic, Diagnostics, Severity};
use super::include::expand_include;
use super::lexer::{self, Word};
use super::source::{SourceMap, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Modules this server implements. A configuration without `LoadModule` lines runs as on an
/// httpd with these compiled in; once one `LoadModule` is read, `<IfModule>` sees what httpd
/// would: its compiled-in modules plus those loaded so far.
pub const MODULES: &[&str] = &[
    "core",
    "so",
    "http",
    "mpm_event",
    "unixd",
    "ssl",
    "proxy",
    "proxy_http",
    "proxy_wstunnel",
    "mime",
    "dir",
    "alias",
    "log_config",
    "http2",
    "authz_core",
    "autoindex",
    "socache_shmcb",
    "version",
    "md",
];

/// How deep Include may nest.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Looks up an environment variable.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// What the loader needs from the outside world besides files.
pub struct LoadOptions {
    /// `-d`: the initial ServerRoot (default: the current directory).
    pub server_root: PathBuf,
    /// `-D` names.
    pub defines: Vec<String>,
    /// Environment lookup for `${VAR}` not set by `Define`.
    pub env: EnvLookup,
    /// Paths under this directory are shown relative to it.
    pub display_base: Option<PathBuf>,
}

impl LoadOptions {
    pub fn new(server_root: PathBuf) -> Self {
        LoadOptions {
            server_root,
            defines: Vec::new(),
            env: Box::new(|k| std::env::var(k).ok()),
            display_base: None,
        }
    }
}

/// The evaluated configuration tree with everything needed to report on it.
pub struct Loaded {
    pub sources: SourceMap,
    pub nodes: Vec<Node>,
    pub diags: Diagnostics,
    /// Names defined at the end (from `-D` and `Define`), with values where given.
    pub defines: BTreeMap<String, Option<String>>,
    pub main_file: PathBuf,
}

/// Reads and evaluates the main config file.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Loaded {
    let main = resolve(&opts.server_root, path);
    let mut ev = Evaluator::new(opts, &main);
    match read_text(&main) {
        Ok(text) => ev.run_main(&main, &text),
        Err(e) => ev.diags.push(
            Diagnostic::global(
                Severity::Error,
                format!("Could not open configuration file {}: {e}", main.display()),
            )
            .with_help("check the path given with -f (relative paths start at ServerRoot)"),
        ),
    }
    ev.finish()
}

/// Evaluates config text as if read from `path` (includes are read from disk).
pub fn load_text(path: &Path, text: &str, opts: &LoadOptions) -> Loaded {
    let main = resolve(&opts.server_root, path);
    let mut ev = Evaluator::new(opts, &main);
    ev.run_main(&main, text);
    ev.finish()
}

/// A relative path is taken from ServerRoot, as httpd does.
pub fn resolve(root: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        format!("not valid UTF-8 text (first bad byte on line {line})")
    })
}

struct Evaluator<'a> {
    opts: &'a LoadOptions,
    sources: SourceMap,
    diags: Diagnostics,
    defines: BTreeMap<String, Option<String>>,
    server_root: PathBuf,
    /// Canonical paths of the files being read, outermost first, with the Include that read each.
    chain: Vec<(PathBuf, Option<Span>)>,
    main: PathBuf,
    nodes: Vec<Node>,
    /// Modules named by `LoadModule` so far (ids such as `ssl`); `None` until the first one.
    loaded: Option<Vec<String>>,
}

impl<'a> Evaluator<'a> {
    fn new(opts: &'a LoadOptions, main: &Path) -> Self {
        Evaluator {
            opts,
            sources: SourceMap::new(opts.display_base.clone()),
            diags: Diagnostics::default(),
            defines: opts.defines.iter().map(|d| (d.clone(), None)).collect(),
            server_root: opts.server_root.clone(),
            chain: Vec::new(),
            main: main.to_path_buf(),
            nodes: Vec::new(),
            loaded: None,
        }
    }

    fn finish(self) -> Loaded {
        Loaded {
            sources: self.sources,
            nodes: self.nodes,
            diags: self.diags,
            defines: self.defines,
            main_file: self.main,
        }
    }

    fn run_main(&mut self, path: &Path, text: &str) {
        let mut out = Vec::new();
        self.read_into(path, text, None, &mut out);
        self.nodes = out;
    }

    /// Lexes, parses and evaluates one file's text into `out`.
    fn read_into(&mut self, path: &Path, text: &str, from: Option<Span>, out: &mut Vec<Node>) {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.chain.push((canonical, from));
        let id = self.sources.add(path.to_path_buf(), text, from);
        let (lines, lex_diags) = lexer::lex(id, text);
        self.diags.extend(lex_diags);
        let (nodes, tree_diags) = ast::build(lines);
        self.diags.extend(tree_diags);
        self.eval(nodes, out);
        self.chain.pop();
    }

    fn eval(&mut self, nodes: Vec<Node>, out: &mut Vec<Node>) {
        for node in nodes {
            match node {
                Node::Directive(mut d) => {
                    self.expand_all(&mut d.name, &mut d.args);
                    self.directive(d, out);
                }
                Node::Section(mut s) => {
                    let name = s.name.text.to_ascii_lowercase();
                    if name == "ifdefine" || name == "ifmodule" {
                        self.expand_args(&mut s.args);
                        if self.condition(&s, &name) {
                            self.eval(s.children, out);
                        }
                    } else {
                        self.expand_args(&mut s.args);
                        let children = std::mem::take(&mut s.children);
                        let mut inner = Vec::new();
                        self.eval(children, &mut inner);
                        s.children = inner;
                        out.push(Node::Section(s));
                    }
                }
            }
        }
    }

    fn condition(&mut self, s: &Section, name: &str) -> bool {
        let [arg] = s.args.as_slice() else {
            self.diags.push(
                Diagnostic::error(s.name.span, format!("<{}> takes one argument", s.name.text))
                    .with_help(format!(
                        "write <{} NAME> or <{} !NAME>",
                        s.name.text, s.name.text
                    )),
            );
            return false;
        };
        let (negate, what) = match arg.text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, arg.text.as_str()),
        };
        let holds = if name == "ifdefine" {
            self.defines.contains_key(what)
        } else {
            self.module_loaded(what)
        };
        holds != negate
    }

    fn directive(&mut self, d: Directive, out: &mut Vec<Node>) {
        match d.name.text.to_ascii_lowercase().as_str() {
            "define" => self.define(&d),
            "undefine" => match d.args.as_slice() {
                [name] => {
                    self.defines.remove(&name.text);
                }
                _ => self.arity(&d, "UnDefine takes one argument, Undefine the existence of a variable"),
            },
            "include" => self.include(&d, false, out),
            "includeoptional" => self.include(&d, true, out),
            "loadmodule" => self.load_module(&d),
            "namevirtualhost" => self.diags.push(
                Diagnostic::note(
                    d.name.span,
                    format!(
                        "AH00548: NameVirtualHost has no effect and will be removed in the next release {}",
                        self.sources.file_line(d.name.span)
                    ),
                )
                .with_help("remove it: every address shared by two or more <VirtualHost> blocks is name-based"),
            ),
            "serverroot" => {
                if let [root] = d.args.as_slice() {
                    self.server_root = resolve(&self.opts.server_root, Path::new(&root.text));
                }
                out.push(Node::Directive(d));
            }
            _ => out.push(Node::Directive(d)),
        }
    }

    fn arity(&mut self, d: &Directive, msg: &str) {
        self.diags
            .push(Diagnostic::error(d.name.span, msg.to_string()));
    }

    fn define(&mut self, d: &Directive) {
        let (name, value) = match d.args.as_slice() {
            [n] => (n, None),
            [n, v] => (n, Some(v.text.clone())),
            _ => {
                return self.arity(
                    d,
                    "Define takes one or two arguments, Define a variable, optionally to a value.  Same as passing -D to the command line.",
                );
            }
        };
        if name.text.contains(':') {
            self.diags.push(
                Diagnostic::error(name.span, "Variable name must not contain ':'")
                    .with_help("choose a name without ':'"),
            );
            return;
        }
        self.defines.insert(name.text.clone(), value);
    }

    /// `<IfModule>`'s test: compiled in, or loaded (see `MODULES`).
    fn module_loaded(&self, name: &str) -> bool {
        let id = module_id(name);
        match &self.loaded {
            None => has_module(&id) || super::stock::COMPILED_IN.contains(&id.as_str()),
            Some(list) => super::stock::COMPILED_IN.contains(&id.as_str()) || list.contains(&id),
        }
    }

    fn load_module(&mut self, d: &Directive) {
        let [name, _file] = d.args.as_slice() else {
            return self.arity(d, "LoadModule takes two arguments, a module name and the name of a shared object file to load it from");
        };
        let id = module_id(&name.text);
        if !super::stock::STOCK_MODULES.contains(&id.as_str())
            && !super::stock::COMPILED_IN.contains(&id.as_str())
        {
            self.diags.push(
                Diagnostic::error(
                    name.span,
                    format!("module '{}' is not one of the modules httpd ships, so this server cannot honour its directives", name.text),
                )
                .with_help(format!(
                    "remove this line, or wrap the module's configuration in <IfModule {id}_module> (`server -L` lists every module and directive this server knows)"
                )),
            );
            return;
        }
        let loaded = self.loaded.get_or_insert_with(Vec::new);
        if !loaded.contains(&id) {
            loaded.push(id);
        }
    }

    fn include(&mut self, d: &Directive, optional: bool, out: &mut Vec<Node>) {
        let which = if optional {
            "IncludeOptional"
        } else {
            "Include"
        };
        let [arg] = d.args.as_slice() else {
            return self.arity(d, &format!("{which} takes one argument, Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file"));
        };
        if self.chain.len() > MAX_INCLUDE_DEPTH {
            let diag = Diagnostic::error(
                arg.span,
                format!("Include nesting is deeper than {MAX_INCLUDE_DEPTH} files"),
            )
            .with_help(
                "an Include chain this deep is almost certainly a loop through different paths",
            );
            self.diags.push(diag);
            return;
        }
        let pattern = resolve(&self.server_root, Path::new(&arg.text));
        let sources = &self.sources;
        let files = match expand_include(&pattern, optional, &|p| sources.show_path(p)) {
            Ok(f) => f,
            Err(msg) => {
                self.diags.push(
                    Diagnostic::error(arg.span, format!("{which}: {msg}"))
                        .with_help("check the path (relative paths start at ServerRoot), or use IncludeOptional if it may be absent"),
                );
                return;
            }
        };
        for file in files {
            self.include_one(&file, arg, out);
        }
    }

    fn include_one(&mut self, file: &Path, arg: &Word, out: &mut Vec<Node>) {
        let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        if let Some(pos) = self.chain.iter().position(|(p, _)| *p == canonical) {
            let mut steps: Vec<String> = self.chain[pos + 1..]
                .iter()
                .filter_map(|(_, from)| from.map(|s| self.sources.file_line(s)))
                .collect();
            steps.push(self.sources.file_line(arg.span));
            steps.push(self.sources.show_path(file));
            self.diags.push(
                Diagnostic::error(arg.span, format!("Include cycle: {}", steps.join(" -> ")))
                    .with_help("remove one of these Include lines so that no file includes itself"),
            );
            return;
        }
        match read_text(file) {
            Ok(text) => self.read_into(file, &text, Some(arg.span), out),
            Err(e) => self.diags.push(
                Diagnostic::error(
                    arg.span,
                    format!(
                        "Could not open configuration file {}: {e}",
                        self.sources.show_path(file)
                    ),
                )
                .with_help("check that the file exists and is readable"),
            ),
        }
    }

    fn expand_all(&mut self, name: &mut Word, args: &mut [Word]) {
        self.expand(name);
        self.expand_args(args);
    }

    fn expand_args(&mut self, args: &mut [Word]) {
        for a in args {
            self.expand(a);
        }
    }

    /// Replaces `${VAR}` with its `Define` value, else the environment's, else leaves it.
    fn expand(&mut self, w: &mut Word) {
        if !w.text.contains("${") {
            return;
        }
        let mut out = String::new();
        let mut rest = w.text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            let value = match self.defines.get(name) {
                Some(Some(v)) => Some(v.clone()),
                _ => (self.opts.env)(name),
            };
            match value {
                Some(v) if !name.contains(':') => out.push_str(&v),
                _ => {
                    self.diags.push(
                        Diagnostic::warning(w.span, format!("AH00111: Config variable ${{{name}}} is not defined"))
                            .with_help(format!("set it with 'Define {name} value' before this line, or in the environment")),
                    );
                    out.push_str(&rest[start..start + 3 + end]);
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        w.text = out;
    }
}

/// Is `name` (`ssl_module`, `mod_ssl.c`, or `ssl`) a module this server implements?
pub fn has_module(name: &str) -> bool {
    MODULES.contains(&module_id(name).as_str())
}

fn module_id(name: &str) -> String {
    let n = name.trim();
    let n = n.strip_suffix(".c").unwrap_or(n);
    let n = n.strip_suffix("_module").unwrap_or(n);
    let n = n.strip_prefix("mod_").unwrap_or(n);
    n.to_ascii_lowercase()
}
