//! The Go settings this plugin reads: `go env -json` from the host's shared facts (the
//! effective values: environment > go env file > $GOROOT/go.env), plus the process
//! environment for names the go command does not know (GONOSUMCHECK).

use gohost_plugin_api::abi_stable::std_types::ROption;
use gohost_plugin_api::{Ctx, GoEnvJson, GoFacts};

pub const SOURCE: &str = "go env -json";

#[derive(Debug, Clone, Default)]
pub struct GoEnv {
    /// None only for `GoEnv::default()` (tests): no variable known.
    vars: Option<GoEnvJson>,
    /// The `go` the facts came from.
    pub go_path: String,
}

#[derive(Debug, Clone)]
pub enum GoEnvProblem {
    NoGo,
    Failed(String),
    BadJson(String),
}

impl std::fmt::Display for GoEnvProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GoEnvProblem::NoGo => write!(f, "no `go` command was found on PATH"),
            GoEnvProblem::Failed(why) => write!(f, "`go env -json` failed: {why}"),
            GoEnvProblem::BadJson(why) => write!(f, "`go env -json` printed invalid JSON: {why}"),
        }
    }
}

impl GoEnv {
    pub fn from_ctx(ctx: &Ctx<'_>) -> Result<GoEnv, GoEnvProblem> {
        let facts = ctx.facts();
        let Some(go) = facts.go.into_option() else {
            return Err(GoEnvProblem::NoGo);
        };
        if go.env_json.trim().is_empty() {
            let why = go
                .problem
                .clone()
                .into_option()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "empty output".to_owned());
            return Err(GoEnvProblem::Failed(why));
        }
        // The one `go env -json` parser of the plugin API (GoFacts::env).
        let vars = go
            .env()
            .ok_or_else(|| GoEnvProblem::BadJson("not a JSON object".to_owned()))?;
        Ok(GoEnv {
            vars: Some(vars),
            go_path: go.path.to_string(),
        })
    }

    /// `go env -json` text parsed through [`GoFacts::env`] (for tests and fuzzing).
    pub fn parse(json: &str) -> Result<GoEnv, GoEnvProblem> {
        let facts = GoFacts {
            path: "".into(),
            version_output: "".into(),
            env_json: json.into(),
            problem: ROption::RNone,
        };
        let vars = facts
            .env()
            .ok_or_else(|| GoEnvProblem::BadJson("not a JSON object".to_owned()))?;
        Ok(GoEnv {
            vars: Some(vars),
            go_path: String::new(),
        })
    }

    /// Whether `go env -json` printed `name` at all (older Go releases lack newer names).
    pub fn knows(&self, name: &str) -> bool {
        self.vars.as_ref().is_some_and(|v| v.knows(name))
    }

    /// The effective value, "" when unset (as `go env` prints it).
    pub fn get(&self, name: &str) -> &str {
        self.vars.as_ref().and_then(|v| v.get(name)).unwrap_or("")
    }

    /// The go.mod of the main module, when the directory gohost ran in is inside one.
    pub fn gomod(&self) -> Option<&str> {
        let gomod = self.get("GOMOD");
        // `go env GOMOD` is os.DevNull in module mode outside a module, "" in GOPATH mode.
        (!gomod.is_empty() && gomod != "/dev/null" && gomod != "NUL").then_some(gomod)
    }

    /// `<first GOPATH entry>/pkg/sumdb`: where the go command keeps verified tree heads.
    pub fn sumdb_dir(&self) -> Option<String> {
        let sep = if self.get("GOHOSTOS") == "windows" {
            ';'
        } else {
            ':'
        };
        let first = self.get("GOPATH").split(sep).next().unwrap_or("");
        (!first.is_empty()).then(|| format!("{first}/pkg/sumdb"))
    }
}

/// The directory part of a path.
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}
