//! Test fixture: the check-id mistakes an author can make — one id registered twice, an id
//! that is not kebab-case, an id with another plugin's prefix — next to one good check that
//! must still run.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "bad-ids",
    version: "0.1.0",
    description: "Registers malformed and duplicate check ids.",
}

fn ok(_ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![Finding::pass("ran")]
}

const NEEDS: Needs = Needs { network: false, root: false, slow: false };

inventory::submit! { Check { id: "bad-ids.twice", title: "first", explain: "x", tags: &[], needs: NEEDS, run: ok } }
inventory::submit! { Check { id: "bad-ids.twice", title: "second", explain: "x", tags: &[], needs: NEEDS, run: ok } }
inventory::submit! { Check { id: "bad-ids.Not_Kebab", title: "not kebab", explain: "x", tags: &[], needs: NEEDS, run: ok } }
inventory::submit! { Check { id: "other.prefix", title: "wrong prefix", explain: "x", tags: &[], needs: NEEDS, run: ok } }
inventory::submit! { Check { id: "bad-ids.good", title: "good", explain: "x", tags: &[], needs: NEEDS, run: ok } }
