# infra's working-tree flake loader.
#
# Evaluates a flake's outputs straight from the working tree instead of copying the repo to the
# store first, reproducing what `nix eval <flake>#<attr>` computes (Nix's own call-flake.nix is
# the model). The engine prepares everything that needs git or the lock file and passes it in
# `requestJSON`; nothing here is interpolated into Nix code, so target names are plain data.
#
# Two side channels let the engine see what an evaluation used:
# - `builtins.trace "infra:<what>"` lines on stderr mark semantic uses (`self`, the whole source
#   tree, a locked input) - they work with or without strace;
# - `pathExists` on marker files brackets work whose file accesses are not dependencies in their
#   own right (copying the tree for `self`, fetching a locked input); strace sees those stats.
# The request comes inline, or as a file when it is too long for one command-line argument.
{ requestJSON ? null, requestFile ? null }:
let
  req = builtins.fromJSON (if requestJSON != null then requestJSON else builtins.readFile requestFile);

  mark = what: value: builtins.trace "infra:${what}" value;

  # Forces `value` between two marker stats, so the trace shows which accesses belong to it.
  bracket = tag: value:
    builtins.seq (builtins.pathExists "${req.markerDir}/begin-${tag}") (
      builtins.seq value (builtins.seq (builtins.pathExists "${req.markerDir}/end-${tag}") value)
    );

  lock = req.lock;

  # `self`'s source: exactly the fetcher `nix eval` uses for a git flake (tracked files only,
  # named "source"), only run when the store path or NAR hash is actually needed.
  fetchedSelf = bracket "self" (
    if req.git.isRepo then builtins.fetchGit { url = req.top; }
    else builtins.fetchTree { type = "path"; path = req.top; }
  );

  rootSourceInfo = {
    outPath = mark "tree" fetchedSelf.outPath;
    narHash = mark "tree" fetchedSelf.narHash;
    lastModified = req.git.lastModified;
    lastModifiedDate = req.git.lastModifiedDate;
  }
  // (if req.git.isRepo then { submodules = false; } else { })
  # A dirty tree has no revision fields, exactly as with `nix eval`.
  // (if req.git.isRepo && !req.git.dirty then { inherit (req.git) rev shortRev revCount; } else { });

  loadFlake = file:
    let
      flake = import file;
      allowed = [ "description" "inputs" "outputs" "nixConfig" ];
      unknown = builtins.filter (n: !(builtins.elem n allowed)) (builtins.attrNames flake);
    in
    if !(builtins.isAttrs flake) then throw "infra: ${file} does not evaluate to an attribute set"
    else if unknown != [ ] then throw "infra: flake '${file}' has an unsupported attribute '${builtins.head unknown}'"
    else if !(builtins.isFunction (flake.outputs or null)) then throw "infra: flake '${file}' has no function 'outputs'"
    else flake;

  rootFlake = loadFlake "${req.flakeDir}/flake.nix";

  # Inputs named in flake.nix but missing from flake.lock: `nix eval` would try to lock them
  # (network, and a rewritten lock file); we refuse instead and say how to fix it.
  rootInputs = lock.nodes.${lock.root}.inputs or { };
  unlocked = builtins.filter (n: !(rootInputs ? ${n})) (builtins.attrNames (rootFlake.inputs or { }));
  checkedRootFlake =
    if unlocked == [ ] then rootFlake
    else throw "infra: input '${builtins.head unlocked}' of ${req.flakeDir}/flake.nix is not in flake.lock; run `nix flake lock` in ${req.flakeDir}";

  allNodes = builtins.mapAttrs (key: node:
    let
      isRoot = key == lock.root;
      sourceInfo =
        if isRoot then rootSourceInfo
        else bracket "input-${key}" (builtins.fetchTree (node.info or { } // removeAttrs node.locked [ "dir" ]));
      subdir = if isRoot then req.subdir else node.locked.dir or "";
      flake =
        if isRoot then checkedRootFlake
        else loadFlake (sourceInfo.outPath + (if subdir != "" then "/" + subdir else "") + "/flake.nix");

      # An input spec is a node name or a `follows` path from the root node.
      resolveInput = spec: if builtins.isList spec then getInputByPath lock.root spec else spec;
      getInputByPath = nodeName: path:
        if path == [ ] then nodeName
        else getInputByPath (resolveInput lock.nodes.${nodeName}.inputs.${builtins.head path}) (builtins.tail path);

      inputs = builtins.mapAttrs (_: spec:
        let target = resolveInput spec; in mark "input:${target}" allNodes.${target}
      ) (node.inputs or { });

      self = if isRoot then mark "self" result else result;
      outputs = flake.outputs (inputs // { inherit self; });
      result = outputs // sourceInfo // { inherit inputs outputs sourceInfo; _type = "flake"; };
    in
    if node.flake or true then result else sourceInfo
  ) lock.nodes;

  rootOutputs = allNodes.${lock.root}.outputs;

  select = builtins.foldl' (value: name:
    if builtins.isAttrs value && value ? ${name} then value.${name}
    else throw "infra: attribute '${name}' missing in ${builtins.concatStringsSep "." req.attrPath}"
  ) rootOutputs req.attrPath;

  kinds = [ "nixosConfigurations" "darwinConfigurations" "homeConfigurations" ];

  listTargets = builtins.listToAttrs (map (kind: {
    name = kind;
    value = if rootOutputs ? ${kind} then builtins.attrNames rootOutputs.${kind} else [ ];
  }) kinds);

  # Extra attributes recorded beside the derivation, addressed from the configuration's root.
  configRoot = builtins.foldl' (value: name: value.${name}) rootOutputs req.configPath;
  meta = builtins.mapAttrs (_: path:
    let got = builtins.tryEval (builtins.foldl' (v: n: v.${n} or null) configRoot path);
    in if got.success then got.value else null
  ) req.meta;

  describeTarget =
    let drv = select; in
    if !(builtins.isAttrs drv) || (drv.type or null) != "derivation"
    then throw "infra: ${builtins.concatStringsSep "." req.attrPath} is not a derivation"
    # Not `outPath`: --json would print an attribute set holding one as that string.
    else { drv = drv.drvPath; out = drv.outPath; inherit meta; };
in
if req.want == "list" then listTargets else describeTarget
