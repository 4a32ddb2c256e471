//! Takes the evaluated tree and gives the `Model`: each directive checked against the table in
//! `directives.rs` (name, arity, contexts, value) and stored where it applies; every problem is
//! reported with its span and the walk goes on.

use super::ast::{Directive, Node, Section};
use super::diag::{Diagnostic, did_you_mean};
use super::directives::{self, Arity, Ctx, Def};
use super::lexer::Word;
use super::loader::Loaded;
use super::model::{DirConf, DirSection, Model, ServerConf, VirtualHost};
use super::source::Spanned;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

/// Resolves a hostname written on a `<VirtualHost>` line to its addresses.
pub type Resolver = Box<dyn Fn(&str) -> Vec<IpAddr>>;

/// What building needs from outside: how to resolve hostnames on `<VirtualHost>` lines.
pub struct BuildOptions {
    pub resolve_host: Resolver,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            resolve_host: Box::new(|h| {
                (h, 0)
                    .to_socket_addrs()
                    .map(|it| it.map(|sa| sa.ip()).collect())
                    .unwrap_or_default()
            }),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SectionKind {
    Directory,
    Location,
}

/// The state of the walk: the model so far, where we are, what we found.
pub struct Builder<'a> {
    pub model: Model,
    pub diags: Vec<Diagnostic>,
    /// The ServerRoot in force (a `ServerRoot` line changes it for what follows).
    pub root: PathBuf,
    pub opts: &'a BuildOptions,
    vhost: Option<usize>,
    section: Option<(SectionKind, usize)>,
}

/// Builds the model from a loaded tree.
pub fn build(loaded: &Loaded, server_root: &Path, opts: &BuildOptions) -> (Model, Vec<Diagnostic>) {
    let mut b = Builder {
        model: Model {
            server_root: server_root.to_path_buf(),
            main_file: loaded.main_file.clone(),
            defines: loaded.defines.clone(),
            ..Model::default()
        },
        diags: Vec::new(),
        root: server_root.to_path_buf(),
        opts,
        vhost: None,
        section: None,
    };
    b.walk(&loaded.nodes);
    b.model.server_root = b.root.clone();
    (b.model, b.diags)
}

impl Builder<'_> {
    /// The settings of the server being configured (a vhost or the main server).
    pub fn server(&mut self) -> &mut ServerConf {
        match self.vhost {
            Some(i) => &mut self.model.vhosts[i].conf,
            None => &mut self.model.main,
        }
    }

    /// The directory-context settings in force: the open section's, else the server's.
    pub fn dir(&mut self) -> &mut DirConf {
        let section = self.section;
        let server = self.server();
        match section {
            Some((SectionKind::Directory, i)) => &mut server.directories[i].conf,
            Some((SectionKind::Location, i)) => &mut server.locations[i].conf,
            None => &mut server.dir,
        }
    }

    /// The URL-path of the open `<Location>`, if in one.
    pub fn location_path(&mut self) -> Option<String> {
        match self.section {
            Some((SectionKind::Location, i)) => Some(self.server().locations[i].path.clone()),
            _ => None,
        }
    }

    pub fn in_vhost(&self) -> bool {
        self.vhost.is_some()
    }

    pub fn section(&self) -> Option<SectionKind> {
        self.section.map(|(k, _)| k)
    }

    /// A path argument, taken from ServerRoot when relative.
    pub fn path(&self, w: &Word) -> Spanned<PathBuf> {
        Spanned::new(
            super::loader::resolve(&self.root, Path::new(&w.text)),
            w.span,
        )
    }

    pub fn warn(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn ctx(&self) -> Ctx {
        match (self.section, self.vhost) {
            (Some((SectionKind::Directory, _)), _) => Ctx::DIRECTORY,
            (Some((SectionKind::Location, _)), _) => Ctx::LOCATION,
            (None, Some(_)) => Ctx::VHOST,
            (None, None) => Ctx::MAIN,
        }
    }

    fn walk(&mut self, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::Directive(d) => self.directive(d),
                Node::Section(s) => self.section_node(s),
            }
        }
    }

    fn directive(&mut self, d: &Directive) {
        let Some(def) = directives::find(&d.name.text) else {
            return self.unknown(&d.name, false);
        };
        if let Err(e) = self
            .check_place(def, &d.name)
            .and_then(|_| check_arity(def, d))
        {
            self.diags.push(e);
            return;
        }
        if let Err(e) = (def.apply)(self, d) {
            self.diags.push(e);
        }
    }

    fn unknown(&mut self, name: &Word, section: bool) {
        let shown = if section {
            format!("<{}", name.text)
        } else {
            name.text.clone()
        };
        let candidates = if section {
            directives::SECTIONS
        } else {
            directives::names()
        };
        let mut diag = Diagnostic::error(
            name.span,
            format!(
                "Invalid command '{shown}', perhaps misspelled or defined by a module not included in the server configuration"
            ),
        );
        if let Some(s) = did_you_mean(&name.text, candidates.iter().copied()) {
            diag = diag.with_help(if section {
                format!("did you mean <{s}>?")
            } else {
                format!("did you mean '{s}'?")
            });
        }
        self.diags.push(diag);
    }

    fn check_place(&self, def: &Def, name: &Word) -> Result<(), Diagnostic> {
        let here = self.ctx();
        if def.ctx.allows(here) {
            return Ok(());
        }
        let n = def.name;
        let (msg, help) = match here {
            Ctx::DIRECTORY | Ctx::LOCATION => (
                format!("{n} cannot occur within <Directory/Location/Files> section"),
                format!(
                    "move {n} out of the <Directory>/<Location> section, into the server or <VirtualHost> it belongs to"
                ),
            ),
            Ctx::VHOST => (
                format!("{n} cannot occur within <VirtualHost> section"),
                format!("{n} applies to the whole server: move it outside every <VirtualHost>"),
            ),
            _ if def.ctx == Ctx::VHOST => (
                format!("{n} only used in <VirtualHost>"),
                format!("move {n} into the <VirtualHost> it belongs to"),
            ),
            _ => (
                format!("{n} not allowed here"),
                format!("{n} belongs in a <Directory> or <Location> section"),
            ),
        };
        Err(Diagnostic::error(name.span, msg).with_help(help))
    }

    fn section_node(&mut self, s: &Section) {
        let lower = s.name.text.to_ascii_lowercase();
        match lower.as_str() {
            "virtualhost" => self.virtual_host(s),
            "directory" | "location" => {
                let kind = if lower == "directory" {
                    SectionKind::Directory
                } else {
                    SectionKind::Location
                };
                self.dir_section(s, kind)
            }
            "directorymatch" | "locationmatch" | "files" | "filesmatch" | "if" | "limit"
            | "limitexcept" => {
                self.diags.push(
                    Diagnostic::error(
                        s.name.span,
                        format!(
                            "<{}> sections are not supported by this server yet",
                            s.name.text
                        ),
                    )
                    .with_help(
                        "use <Directory path> or <Location url-path>, or remove the section",
                    ),
                );
            }
            _ => self.unknown(&s.name, true),
        }
    }

    fn virtual_host(&mut self, s: &Section) {
        if self.vhost.is_some() || self.section.is_some() {
            let inside = if self.section.is_some() {
                "<Directory/Location/Files>"
            } else {
                "<VirtualHost>"
            };
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!("<VirtualHost> cannot occur within {inside} section"),
                )
                .with_help("close the enclosing section before opening <VirtualHost>"),
            );
            return;
        }
        if s.args.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    "<VirtualHost> directive requires additional arguments",
                )
                .with_help("name the address and port it answers on, e.g. <VirtualHost *:443>"),
            );
            return;
        }
        let mut addrs = Vec::new();
        for a in &s.args {
            match super::listen::parse_vhost_addr(&a.text, &*self.opts.resolve_host) {
                Ok(list) => addrs.extend(list.into_iter().map(|v| Spanned::new(v, a.span))),
                Err(e) if e.starts_with("AH00547") => self.diags.push(
                    Diagnostic::warning(a.span, e)
                        .with_help("use an IP address or * on <VirtualHost> lines; names are resolved only once, at start"),
                ),
                Err(e) => self.diags.push(Diagnostic::error(a.span, e).with_help(
                    "write addr:port with an IPv4 address, [IPv6], *, or _default_, and a port 1-65535 or *",
                )),
            }
        }
        self.model.vhosts.push(VirtualHost {
            span: s.name.span,
            addrs,
            conf: ServerConf::default(),
        });
        self.vhost = Some(self.model.vhosts.len() - 1);
        self.walk(&s.children);
        self.vhost = None;
    }

    fn dir_section(&mut self, s: &Section, kind: SectionKind) {
        if self.section.is_some() {
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!(
                        "<{}> cannot occur within <Directory/Location/Files> section",
                        s.name.text
                    ),
                )
                .with_help("close the enclosing section first; these sections do not nest"),
            );
            return;
        }
        let path = match s.args.as_slice() {
            [p] if p.text == "~" => None,
            [p] => Some(p),
            _ => None,
        };
        let Some(path) = path else {
            let help = if s.args.first().is_some_and(|a| a.text == "~") {
                "regular-expression sections are not supported yet; list the paths explicitly"
            } else {
                "give exactly one path, e.g. <Directory \"/srv/www\">"
            };
            self.diags.push(
                Diagnostic::error(s.name.span, format!("<{}> takes one argument", s.name.text))
                    .with_help(help),
            );
            return;
        };
        let text = match kind {
            SectionKind::Directory => self.path(path).value.to_string_lossy().into_owned(),
            SectionKind::Location => path.text.clone(),
        };
        let section = DirSection {
            span: s.name.span,
            path: text,
            conf: DirConf::default(),
        };
        let server = self.server();
        let list = match kind {
            SectionKind::Directory => &mut server.directories,
            SectionKind::Location => &mut server.locations,
        };
        list.push(section);
        self.section = Some((kind, list.len() - 1));
        self.walk(&s.children);
        self.section = None;
    }
}

/// Checks the argument count, with httpd's wording.
fn check_arity(def: &Def, d: &Directive) -> Result<(), Diagnostic> {
    let n = d.args.len();
    let (ok, what) = match def.arity {
        Arity::One => (n == 1, "takes one argument"),
        Arity::Two => (n == 2, "takes two arguments"),
        Arity::OneOrTwo => ((1..=2).contains(&n), "takes one or two arguments"),
        Arity::TwoOrThree => ((2..=3).contains(&n), "takes two or three arguments"),
        Arity::OneToThree => ((1..=3).contains(&n), "takes one, two or three arguments"),
        Arity::AtLeastOne => (n >= 1, "requires at least one argument"),
        Arity::Flag => (n == 1, "must be On or Off"),
    };
    if ok {
        return Ok(());
    }
    let span = if n > 0 { d.args_span() } else { d.name.span };
    let msg = match def.arity {
        Arity::Flag => format!("{} {what}", def.name),
        _ => format!("{} {what}, {}", def.name, def.doc),
    };
    let help = if d.args.iter().any(|a| a.text.starts_with('#')) {
        "a '#' after a directive is not a comment in httpd configuration files: put the comment on a line of its own".to_string()
    } else {
        format!("usage: {}", def.usage)
    };
    Err(Diagnostic::error(span, msg).with_help(help))
}
