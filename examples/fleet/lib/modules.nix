# A small NixOS-style module system.
#
#   evalModules { modules = [ ... ]; specialArgs = { ... }; }
#     => { config; options; extendModules; }
#
# What it supports:
#   * modules given as paths, functions ({ config, options, lib, ... } plus
#     specialArgs) or attribute sets;
#   * `imports` (recursive; path modules are de-duplicated by file name, so a
#     role and a host can both import ../modules/ssh.nix safely);
#   * `options` declared with mkOption { type, default, description, apply };
#   * `config`, or the shorthand where a module without `options`/`config`
#     keys is all config;
#   * mkIf, mkMerge, mkOverride, mkDefault (1000), mkForce (50) and
#     mkOptionDefault (1500, used for option defaults); plain definitions
#     have priority 100 and only the lowest number present wins;
#   * merging by type (see types.nix): lists concatenate, attribute sets merge
#     recursively, scalars must agree.
#
# Undeclared options are an ERROR (like NixOS, no freeform modules): setting
# `networking.hostname` (lower-case n) fails with
#   "The option `networking.hostname' does not exist. Definition in `...'".
# The check happens when the enclosing attribute set of config is evaluated.
#
# Not supported (not needed by this fleet): _module.args, disabledModules,
# mkBefore/mkAfter ordering, option type merging across declarations.
lib:
let
  inherit (builtins)
    attrNames concatMap filter foldl' functionArgs genericClosure head
    intersectAttrs isAttrs isBool isFunction isPath isString mapAttrs
    pathExists removeAttrs;
  inherit (lib) imap0 optional showOption;

  defaultPriority = 100;

  typeOf = x: if isAttrs x then x._type or null else null;
in
rec {
  # ---- properties ---------------------------------------------------------

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;

  # ---- option declarations ------------------------------------------------

  mkOption = attrs: attrs // { _type = "option"; };
  mkEnableOption = name: mkOption {
    type = lib.types.bool;
    default = false;
    description = "Whether to enable ${name}.";
  };
  isOption = x: typeOf x == "option";

  # ---- collecting modules -------------------------------------------------

  # Returns the flat, de-duplicated list of normalised modules
  #   { file; imports; options; config; }
  collectModules = args: modules:
    let
      # `./modules/monitoring` and `./modules/monitoring/default.nix` are the
      # same module: normalise directories so de-duplication sees that.
      resolve = p: if pathExists (p + "/default.nix") then p + "/default.nix" else p;

      # Functions only receive the arguments they ask for (so modules written
      # without `...` still work); `args: ...` style functions get all of them.
      apply = m:
        if !isFunction m then m
        else
          let wanted = functionArgs m;
          in m (if wanted == { } then args else intersectAttrs wanted args);

      normalise = file: m0:
        let
          m = apply m0;
          shorthand = !(m ? config || m ? options);
          extra = removeAttrs m [ "_file" "key" "imports" "options" "config" ];
        in
        if !isAttrs m then throw "module `${file}' is neither an attribute set nor a function returning one"
        else if !shorthand && extra != { } then
          throw ("Module `${file}' has an unsupported attribute `${head (attrNames extra)}'. "
            + "When a module has `options' or `config', all definitions must go under `config'.")
        else {
          file = m._file or file;
          imports = m.imports or [ ];
          options = m.options or { };
          config = if shorthand then removeAttrs m [ "_file" "key" "imports" ] else m.config or { };
        };

      # Anonymous modules (inline attrsets/functions) get a key derived from
      # their parent, and report the parent's file in error messages.
      load = parent: i: m:
        if isPath m || isString m then
          let file = resolve m; in
          { key = toString file; module = normalise (toString file) (import file); }
        else
          let key = if isAttrs m && m ? key then m.key else "${parent.key}:anon-${toString i}"; in
          { inherit key; module = normalise (parent.module.file or key) m; };
    in
    map (item: item.module) (genericClosure {
      startSet = imap0 (load { key = "<root>"; }) modules;
      operator = item: imap0 (load item) item.module.imports;
    });

  # ---- options tree -------------------------------------------------------

  annotateDeclarations = file: tree:
    if isOption tree then tree // { declarations = [ file ]; }
    else if isAttrs tree then mapAttrs (_: annotateDeclarations file) tree
    else throw "`${file}' declares something that is not an option (use mkOption)";

  mergeOptionDecls = loc: a: b:
    a // mapAttrs (n: bv:
      if !(a ? ${n}) then bv
      else if isOption a.${n} || isOption bv then
        throw "The option `${showOption (loc ++ [ n ])}' is declared more than once (in ${
          toString (a.${n}.declarations or [ ])} and ${toString (bv.declarations or [ ])})."
      else mergeOptionDecls (loc ++ [ n ]) a.${n} bv) b;

  # ---- definitions --------------------------------------------------------

  # Moves properties wrapped around an attribute set down to its attributes:
  #   mkIf c { a = 1; b = 2; }  ->  [ { a = mkIf c 1; b = mkIf c 2; } ]
  # This is what lets `config = mkIf cfg.enable { ... }` refer to config
  # without infinite recursion: attribute *names* never depend on `c`.
  pushDownProperties = loc: file: def:
    let t = typeOf def; in
    if t == "merge" then concatMap (pushDownProperties loc file) def.contents
    else if t == "if" then map (mapAttrs (_: mkIf def.condition)) (pushDownProperties loc file def.content)
    else if t == "override" then map (mapAttrs (_: mkOverride def.priority)) (pushDownProperties loc file def.content)
    else if isAttrs def && t == null then [ def ]
    else throw "`${showOption loc}' is not an option but has a non-attribute-set definition in `${file}'.";

  # Evaluates mkIf / mkMerge / mkOverride at an option:
  #   -> [ { priority; value; } ]
  dischargeProperties = priority: def:
    let t = typeOf def; in
    if t == "merge" then concatMap (dischargeProperties priority) def.contents
    else if t == "if" then
      if !isBool def.condition then throw "mkIf called with a non-Boolean condition"
      else if def.condition then dischargeProperties priority def.content
      else [ ]
    else if t == "override" then dischargeProperties def.priority def.content
    else [ { inherit priority; value = def; } ];

  # defs: [ { file; value; } ]  ->  { isDefined; files; value; }
  mergeDefinitions = loc: type: defs:
    let
      discharged = concatMap (d:
        map (p: p // { inherit (d) file; })
          (builtins.addErrorContext "while evaluating definitions from `${d.file}':"
            (dischargeProperties defaultPriority d.value)))
        defs;
      best = foldl' (m: d: if d.priority < m then d.priority else m) 9999 discharged;
      active = filter (d: d.priority == best) discharged;
      wrong = filter (d: !(type.check d.value)) active;
      isDefined = active != [ ];
    in
    {
      inherit isDefined;
      files = map (d: d.file) active;
      value = builtins.addErrorContext "while evaluating the option `${showOption loc}':" (
        if !isDefined then throw "The option `${showOption loc}' is used but not defined."
        else if wrong != [ ] then
          throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition in `${(head wrong).file}'."
        else type.merge loc (map (d: { inherit (d) file value; }) active));
    };

  # Walks the options tree, handing each option the definitions found at its
  # path, and returns the config value tree.
  evalOptionTree = loc: decls: defs:
    if isOption decls then
      let
        type = decls.type or lib.types.unspecified;
        withDefault = defs ++ optional (decls ? default) {
          file = "default of `${showOption loc}'";
          value = mkOptionDefault decls.default;
        };
        value = (mergeDefinitions loc type withDefault).value;
      in
      if decls ? apply then decls.apply value else value
    else
      let
        flat = concatMap (d:
          map (value: { inherit (d) file; inherit value; }) (pushDownProperties loc d.file d.value)) defs;
        undeclared = concatMap (d:
          map (name: { inherit name; inherit (d) file; }) (filter (n: !(decls ? ${n})) (attrNames d.value))) flat;
        at = name: concatMap (d: optional (d.value ? ${name}) { inherit (d) file; value = d.value.${name}; }) flat;
      in
      if undeclared != [ ] then
        let u = head undeclared; in
        throw "The option `${showOption (loc ++ [ u.name ])}' does not exist. Definition in `${u.file}'."
      else mapAttrs (name: sub: evalOptionTree (loc ++ [ name ]) sub (at name)) decls;

  # ---- entry point --------------------------------------------------------

  evalModules = { modules, specialArgs ? { }, prefix ? [ ] }:
    let
      args = { inherit lib config options; } // specialArgs;
      collected = collectModules args modules;

      declarations = foldl' (acc: m: mergeOptionDecls prefix acc (annotateDeclarations m.file m.options)) { } collected;

      config = evalOptionTree prefix declarations (map (m: { inherit (m) file; value = m.config; }) collected);

      # The options tree, each option carrying its final `value` and `loc`.
      withValues = path: decls: value:
        if isOption decls then decls // { inherit value; loc = prefix ++ path; }
        else mapAttrs (n: d: withValues (path ++ [ n ]) d value.${n}) decls;
      options = withValues [ ] declarations config;
    in
    {
      inherit config options;
      extendModules = extra: evalModules {
        modules = modules ++ (extra.modules or [ ]);
        specialArgs = specialArgs // (extra.specialArgs or { });
        inherit prefix;
      };
    };
}
