# What a configuration says it needs from sops-nix (`sops.secrets.<name>`) and agenix
# (`age.secrets.<name>`): names, files, keys, owners and modes, as plain data. A file is turned
# into a string with toString, which neither reads nor copies it: evaluating this can never
# touch a secret's content. Every step is guarded, so a configuration without these options (or
# with a broken one) declares nothing rather than failing its evaluation.
configRoot:
let
  try = value: let r = builtins.tryEval value; in if r.success then r.value else null;
  config = try (configRoot.config or { });
  attrs = value: if builtins.isAttrs value then value else { };
  text = value:
    if builtins.isPath value then toString value
    else if builtins.isString value then builtins.unsafeDiscardStringContext value
    else null;
  field = set: name: try (text (set.${name} or null));

  sops = attrs (try (config.sops or { }));
  sopsSecrets = attrs (try (sops.secrets or { }));
  age = attrs (try (config.age or { }));
  ageSecrets = attrs (try (age.secrets or { }));
in
builtins.attrValues (builtins.mapAttrs (name: s: {
  backend = "sops";
  inherit name;
  file = let own = field s "sopsFile"; in if own != null then own else field sops "defaultSopsFile";
  key = let k = field s "key"; in if k != null then k else name;
  format = let f = field s "format"; in if f != null then f else field sops "defaultSopsFormat";
  owner = field s "owner";
  mode = field s "mode";
}) (builtins.mapAttrs (_: attrs) sopsSecrets))
++ builtins.attrValues (builtins.mapAttrs (name: s: {
  backend = "agenix";
  inherit name;
  file = field s "file";
  owner = field s "owner";
  mode = field s "mode";
}) (builtins.mapAttrs (_: attrs) ageSecrets))
