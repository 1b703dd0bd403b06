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

  # Flake semantics moved between Nix releases; the loader follows the Nix that runs it, as
  # `nix eval` of that Nix would (its call-flake.nix and fetchers are the model).
  atLeast = version: builtins.compareVersions builtins.nixVersion version >= 0;
  # 2.12: a flake is tagged `_type = "flake"`.
  flakeType = atLeast "2.12";
  # 2.14: a flake's `outPath` is its own folder in the source tree (`<source>/<dir>`).
  subdirOutPath = atLeast "2.14";
  # 2.17: a dirty git tree has `dirtyRev` and `dirtyShortRev` (`<HEAD>-dirty`).
  dirtyRevs = atLeast "2.17";
  # 2.26: a relative `path:` input is a folder of its parent's source, with the parent's
  # source info (lock nodes say `parent`); before, it was copied to the store on its own.
  relativeFromParent = atLeast "2.26";

  # The tracked files and the folders holding them, as `nix eval` copies a git work tree.
  # Only read when some value needs a store copy of (part of) the tree.
  tracked =
    let t = builtins.fromJSON (builtins.readFile req.trackedFile);
    in {
      files = builtins.listToAttrs (map (name: { inherit name; value = true; }) t.files);
      dirs = builtins.listToAttrs (map (name: { inherit name; value = true; }) t.dirs);
    };
  topLength = builtins.stringLength req.top;
  trackedFilter = path: type:
    let rel = builtins.substring (topLength + 1) (-1) (toString path);
    in if type == "directory" then tracked.dirs ? ${rel} else tracked.files ? ${rel};

  # A store copy named "source" of a working-tree folder: tracked files only in git, everything
  # outside git. builtins.path rather than fetchGit/fetchTree: restricted evaluation allows the
  # repository's paths, while Nix >= 2.19 refuses fetchers' `git+file:`/`path:` URLs there.
  copySource = dir: extra:
    builtins.path ({ path = /. + dir; name = "source"; }
      // (if req.git.isRepo then { filter = trackedFilter; } else { }) // extra);

  # The NAR hash of a store path, as the path fetcher reports it (the loader's runs allow
  # `path:/nix/store` URLs; the path is already valid, so nothing is copied again).
  narHashOf = storePath: (builtins.fetchTree { type = "path"; path = storePath; }).narHash;

  # `self`'s source: what `nix eval` copies for the flake (named "source"), only made when the
  # store path or NAR hash is actually needed.
  selfPath = bracket "self" (copySource req.top { });

  gitInfo =
    { lastModified = req.git.lastModified; lastModifiedDate = req.git.lastModifiedDate; }
    // (if req.git.isRepo then { submodules = false; } else { })
    # A dirty tree has no revision fields, exactly as with `nix eval`.
    // (if req.git.isRepo && !req.git.dirty then { inherit (req.git) rev shortRev revCount; } else { })
    // (if req.git.isRepo && req.git.dirty && dirtyRevs && req.git ? rev then {
      dirtyRev = "${req.git.rev}-dirty";
      dirtyShortRev = "${req.git.shortRev}-dirty";
    } else { });

  rootSourceInfo = gitInfo // {
    outPath = mark "tree" selfPath;
    narHash = mark "tree" (bracket "self" (narHashOf selfPath));
  };

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

  isRelativePath = node:
    (node.locked.type or null) == "path" && builtins.substring 0 1 (node.locked.path or "/") != "/";
  isAbsolutePath = node: (node.locked.type or null) == "path" && !(isRelativePath node);

  # The node that lists `key` among its own inputs (Nix < 2.26 resolves a relative path against
  # that flake's folder; 2.26 writes it down as `parent`).
  listedBy = key:
    let by = builtins.filter (n: builtins.elem key (builtins.attrValues (lock.nodes.${n}.inputs or { })))
      (builtins.attrNames lock.nodes);
    in if by == [ ] then lock.root else builtins.head by;

  lockedDate = key: node:
    if node.locked ? lastModified
    then { inherit (node.locked) lastModified; lastModifiedDate = req.lastModifiedDates.${key}; }
    else { };

  # A `path:` input's source as Nix < 2.26 has it: its folder (tracked files, as in the parent's
  # store copy) in the store on its own, named "source", with the lock's NAR hash and date.
  copiedPathInput = key: node: base:
    let
      narHash = node.locked.narHash or (throw
        "infra: lock file node '${key}' (${node.locked.path}) has no narHash, so this Nix calls it a mutable lock; run `nix flake lock` with this Nix");
      # A nested input's base is its parent's store path: a plain path string here.
      dir = builtins.unsafeDiscardStringContext (if base == null then node.locked.path else "${base}/${node.locked.path}");
    in
    lockedDate key node // {
      outPath = bracket "input-${key}" (builtins.path ({ path = /. + dir; name = "source"; sha256 = narHash; }
        // (if base == req.flakeDir && req.git.isRepo then { filter = trackedFilter; } else { })));
      inherit narHash;
    };

  allNodes = builtins.mapAttrs (key: node:
    let
      isRoot = key == lock.root;
      sourceInfo =
        if isRoot then rootSourceInfo
        else if isRelativePath node then
          (if relativeFromParent then
            let
              parentKey =
                if node ? parent then getInputByPath lock.root node.parent
                else throw "infra: lock file node '${key}' (${node.locked.path}) was locked by Nix < 2.26 (no 'parent'); Nix ${builtins.nixVersion} rewrites it on the next `nix eval` or `nix flake lock`";
              parent = allNodes.${parentKey};
              # The parent's git state reaches the input (rev, dirtyRev, lastModified...).
              fromSelf = parentKey == lock.root || isRelativePath lock.nodes.${parentKey};
              inherited = if fromSelf then builtins.mapAttrs (n: v: if n == "narHash" then v else mark "self" v) parent.sourceInfo else parent.sourceInfo;
            in
            inherited // { outPath = parent.outPath + ("/" + node.locked.path); }
          else
            let by = listedBy key; in
            copiedPathInput key node (if by == lock.root then req.flakeDir else toString allNodes.${by}.outPath))
        else if isAbsolutePath node then copiedPathInput key node null
        else bracket "input-${key}" (builtins.fetchTree (node.info or { } // removeAttrs node.locked [ "dir" ]));
      subdir = if isRoot then req.subdir else node.locked.dir or "";
      # The flake's own folder (Nix >= 2.14 also calls it the flake's outPath).
      flakeOutPath = "${sourceInfo.outPath}${if subdir != "" then "/" + subdir else ""}";
      flake =
        if isRoot then checkedRootFlake
        else loadFlake (flakeOutPath + "/flake.nix");

      # An input spec is a node name or a `follows` path from the root node.
      inputs = builtins.mapAttrs (_: spec:
        let target = resolveInput spec; in mark "input:${target}" allNodes.${target}
      ) (node.inputs or { });

      self = if isRoot then mark "self" result else result;
      outputs = flake.outputs (inputs // { inherit self; });
      result = outputs // sourceInfo // { inherit inputs outputs sourceInfo; }
        // (if subdirOutPath then { outPath = flakeOutPath; } else { })
        // (if flakeType then { _type = "flake"; } else { });
    in
    if node.flake or true then result else sourceInfo
  ) lock.nodes;

  resolveInput = spec: if builtins.isList spec then getInputByPath lock.root spec else spec;
  getInputByPath = nodeName: path:
    if path == [ ] then nodeName
    else getInputByPath (resolveInput lock.nodes.${nodeName}.inputs.${builtins.head path}) (builtins.tail path);

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

  # What the configuration needs from sops-nix and agenix (never a value: see secrets.nix).
  secrets = import ./secrets.nix configRoot;

  describeTarget =
    let drv = select; in
    if !(builtins.isAttrs drv) || (drv.type or null) != "derivation"
    then throw "infra: ${builtins.concatStringsSep "." req.attrPath} is not a derivation"
    # Not `outPath`: --json would print an attribute set holding one as that string.
    else { drv = drv.drvPath; out = drv.outPath; inherit meta secrets; };
  # agenix's secrets.nix: who may decrypt which file. A plain Nix file (the agenix CLI imports it
  # from the working tree), not part of any flake.
  rules = builtins.mapAttrs (_: rule: { publicKeys = map toString (rule.publicKeys or [ ]); })
    (import (/. + req.file));
in
if req.want == "list" then listTargets else if req.want == "rules" then rules else describeTarget
