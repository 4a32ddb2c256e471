//! Takes the section nodes of the tree (`<VirtualHost>` aside) and files them in the model:
//! `<Directory>`, `<DirectoryMatch>`, `<Directory ~>`, `<Files>`, `<FilesMatch>` (also nested in a
//! directory), `<Location>`, `<LocationMatch>`, `<Location ~>`, and the authorization containers
//! `<RequireAll|Any|None>`; sections this server cannot honour are errors that say so.

use super::ast::Section;
use super::build::{Builder, SectionKind};
use super::diag::Diagnostic;
use super::model::{DirConf, DirSection, IfCond, Within};
use crate::access::authz::{self, Kind};
use crate::regex::Pattern;

impl Builder<'_> {
    pub(super) fn section_node(&mut self, s: &Section) {
        let lower = s.name.text.to_ascii_lowercase();
        match lower.as_str() {
            "virtualhost" => self.virtual_host(s),
            "directory" => self.dir_section(s, SectionKind::Directory, false),
            "directorymatch" => self.dir_section(s, SectionKind::Directory, true),
            "location" => self.dir_section(s, SectionKind::Location, false),
            "locationmatch" => self.dir_section(s, SectionKind::Location, true),
            "files" => self.dir_section(s, SectionKind::Files, false),
            "filesmatch" => self.dir_section(s, SectionKind::Files, true),
            "requireall" => self.authz_container(s, Kind::All),
            "requireany" => self.authz_container(s, Kind::Any),
            "requirenone" => self.authz_container(s, Kind::None),
            "limit" | "limitexcept" => self.not_supported(
                s,
                "method-limited sections are not implemented yet; ignoring one would drop the access rules inside it",
                "use Require method GET POST (inside <RequireAll>) to limit by method",
            ),
            "if" => self.if_section(s, true),
            "elseif" => self.if_section(s, false),
            "else" => self.if_section(s, false),
            "proxy" | "proxymatch" => self.not_supported(
                s,
                "<Proxy> sections are not implemented; ignoring one would drop the access rules for proxied requests",
                "put the access rules in the <Location> of the ProxyPass instead",
            ),
            "macro" => self.not_supported(
                s,
                "mod_macro is not implemented",
                "expand the macro by hand",
            ),
            "mdomainset" | "mdomain" => self.mdomain_set(s),
            "authnprovideralias" | "authzprovideralias" => self.not_supported(
                s,
                "this section is not implemented; ignoring it would change who may see what",
                "remove the section",
            ),
            _ => self.unknown(&s.name, true),
        }
    }

    /// `<If "expr">`, `<ElseIf "expr">`, `<Else>`: at server or vhost level, or inside a
    /// `<Directory>`; the expression is the `Require expr` subset.
    fn if_section(&mut self, s: &Section, starts_chain: bool) {
        let name = &s.name.text;
        let is_else = name.eq_ignore_ascii_case("else");
        if !starts_chain && !self.if_open {
            return self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!("<{name}> does not follow an <If> or <ElseIf> section"),
                )
                .with_help("put it directly after the </If> or </ElseIf> it continues"),
            );
        }
        let within = match self.section {
            None => None,
            Some((SectionKind::Directory, i)) => {
                let d = &self.server().directories[i];
                Some(Within {
                    path: d.path.clone(),
                    regex: d.regex.clone(),
                })
            }
            Some(_) => {
                return self.diags.push(
                    Diagnostic::error(s.name.span, format!("<{name}> inside <Location>, <Files> or <If> is not supported by this server yet"))
                        .with_help("write the condition at server or <VirtualHost> level, or inside a <Directory>"),
                );
            }
        };
        let expr = match (is_else, s.args.as_slice()) {
            (true, []) => None,
            (true, _) => {
                return self.diags.push(
                    Diagnostic::error(s.name.span, "<Else> does not take an argument")
                        .with_help("write <Else> alone on its line"),
                );
            }
            (false, [arg]) => match crate::access::expr::parse(&arg.text) {
                Ok(e) => Some(e),
                Err(e) => {
                    return self.diags.push(
                        Diagnostic::error(arg.span, format!("Cannot parse condition clause: {e}"))
                            .with_help("this server's <If> takes the Require expr subset: comparisons, =~, -ipmatch, -strmatch, &&, ||, !, and %{VAR} request variables"),
                    );
                }
            },
            (false, _) => {
                return self.diags.push(
                    Diagnostic::error(
                        s.name.span,
                        format!("<{name}> takes one argument, the expression in quotes"),
                    )
                    .with_help(format!(
                        "write <{name} \"%{{HTTP_HOST}} == 'example.com'\">"
                    )),
                );
            }
        };
        let section = DirSection {
            span: s.name.span,
            path: s.args.first().map(|a| a.text.clone()).unwrap_or_default(),
            within,
            cond: Some(IfCond { expr, starts_chain }),
            ..Default::default()
        };
        let outer = self.section;
        self.server().ifs.push(section);
        let i = self.server().ifs.len() - 1;
        self.section = Some((SectionKind::If, i));
        self.walk(&s.children);
        self.check_authz(s);
        self.section = outer;
        self.if_open = !is_else;
    }

    fn not_supported(&mut self, s: &Section, why: &str, help: &str) {
        self.diags.push(
            Diagnostic::error(
                s.name.span,
                format!("<{}> is not supported by this server: {why}", s.name.text),
            )
            .with_help(help.to_string()),
        );
    }

    fn dir_section(&mut self, s: &Section, kind: SectionKind, is_match: bool) {
        let name = &s.name.text;
        // Files may sit inside a Directory; nothing else nests.
        let within = match (self.section, kind) {
            (None, _) => None,
            (Some((SectionKind::Directory, i)), SectionKind::Files) => {
                let d = &self.server().directories[i];
                Some(Within {
                    path: d.path.clone(),
                    regex: d.regex.clone(),
                })
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        s.name.span,
                        format!("<{name}> cannot occur within <Directory/Location/Files> section"),
                    )
                    .with_help("close the enclosing section first; only <Files> may sit inside <Directory>"),
                );
                return;
            }
        };
        if !self.authz_stack.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!("<{name}> cannot occur within <RequireAll/Any/None>"),
                )
                .with_help("close the Require container first"),
            );
            return;
        }
        let (pattern, regex) = match s.args.as_slice() {
            [tilde, p] if !is_match && tilde.text == "~" => (p, true),
            [p] if p.text != "~" => (p, is_match),
            _ => {
                self.diags.push(
                    Diagnostic::error(s.name.span, format!("<{name}> takes one argument"))
                        .with_help(format!(
                            "give exactly one {}, e.g. <{name} \"{}\">",
                            if is_match {
                                "regular expression"
                            } else {
                                "path"
                            },
                            match kind {
                                SectionKind::Directory => "/srv/www",
                                SectionKind::Location => "/app",
                                SectionKind::Files | SectionKind::If => "*.txt",
                            }
                        )),
                );
                return;
            }
        };
        let compiled = if regex {
            match Pattern::new(&pattern.text, false) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error(
                            pattern.span,
                            format!("Regex could not be compiled: {e}"),
                        )
                        .with_help("write a PCRE regular expression, as httpd takes"),
                    );
                    return;
                }
            }
        } else {
            None
        };
        let text = match kind {
            SectionKind::Directory if !regex => {
                let p = self.path(pattern).value.to_string_lossy().into_owned();
                if p.len() > 1 {
                    p.trim_end_matches('/').to_string()
                } else {
                    p
                }
            }
            _ => pattern.text.clone(),
        };
        let section = DirSection {
            span: s.name.span,
            path: text,
            regex: compiled,
            within,
            cond: None,
            conf: DirConf::default(),
        };
        let outer = self.section;
        let server = self.server();
        let list = match kind {
            SectionKind::Directory => &mut server.directories,
            SectionKind::Location => &mut server.locations,
            SectionKind::Files | SectionKind::If => &mut server.files,
        };
        list.push(section);
        self.section = Some((kind, list.len() - 1));
        self.walk(&s.children);
        self.check_authz(s);
        self.section = outer;
    }

    /// httpd's configuration-time rules for the Require lines of the section just read.
    fn check_authz(&mut self, s: &Section) {
        if let Some(tree) = &self.dir().access.authz
            && let Err(e) = authz::check_section(tree)
        {
            self.diags.push(
                Diagnostic::error(s.name.span, e)
                    .with_help("a negated Require can only take access away: pair it with a positive one inside <RequireAll>"),
            );
        }
    }

    fn authz_container(&mut self, s: &Section, kind: Kind) {
        if self.section.is_none() {
            self.diags.push(
                Diagnostic::error(s.name.span, format!("<{}> not allowed here", s.name.text))
                    .with_help("put it inside a <Directory>, <Location> or <Files> section"),
            );
            return;
        }
        if !s.args.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!(
                        "<{}> directive doesn't take additional arguments",
                        s.name.text
                    ),
                )
                .with_help(format!("write <{}> alone on its line", s.name.text)),
            );
        }
        self.authz_stack.push(authz::Section {
            kind,
            items: Vec::new(),
        });
        self.walk(&s.children);
        let Some(section) = self.authz_stack.pop() else {
            return;
        };
        if section.items.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!("<{}> contains no authorization directives", s.name.text),
                )
                .with_help("add Require lines inside it, or remove it"),
            );
            return;
        }
        if let Err(e) = authz::check_section(&section) {
            self.diags.push(Diagnostic::error(s.name.span, e).with_help(
                "a negated Require can only take access away: pair it with a positive one",
            ));
            return;
        }
        self.push_authz(authz::Node::Section(section));
    }

    /// Adds one Require line or container where it belongs: the open container, else the
    /// section's own list (an implicit `<RequireAny>`).
    pub fn push_authz(&mut self, node: authz::Node) {
        if let Some(top) = self.authz_stack.last_mut() {
            top.items.push(node);
            return;
        }
        self.dir()
            .access
            .authz
            .get_or_insert_with(|| authz::Section {
                kind: Kind::Any,
                items: Vec::new(),
            })
            .items
            .push(node);
    }
}
