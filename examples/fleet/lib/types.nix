# Option types. Lightweight on purpose: `check` is shallow, what matters is
# how several definitions of one option are merged.
#
#   merge :: loc -> [ { file; value; } ] -> value
lib:
let
  inherit (builtins)
    all any attrNames concatMap elem head isAttrs isBool isFunction isInt
    isList isPath isString length listToAttrs typeOf;
  inherit (lib) concatMapStrings concatMapStringsSep filterAttrs hasPrefix imap1 isDerivation mergeDefinitions showOption;

  showValue = v:
    if isString v then "\"${v}\""
    else if isInt v then toString v
    else if isBool v then (if v then "true" else "false")
    else "<${typeOf v}>";

  mkOptionType = { name, description ? name, check ? (_: true), merge ? mergeEqualOption }:
    { _type = "option-type"; inherit name description check merge; };

  # Scalars: every definition must agree.
  mergeEqualOption = loc: defs:
    let first = head defs; in
    if length defs == 1 || all (d: d.value == first.value) defs then first.value
    else throw ("The option `${showOption loc}' has conflicting definition values:"
      + concatMapStrings (d: "\n  - In `${d.file}': ${showValue d.value}") defs
      + "\n  Use `lib.mkForce value' or `lib.mkDefault value' to change the priority on any of these definitions.");

  # Attribute sets: merge per attribute, each attribute with elemType.
  mergeAttrs = elemType: loc: defs:
    let
      names = attrNames (listToAttrs (concatMap (d: map (n: { name = n; value = null; }) (attrNames d.value)) defs));
      merged = listToAttrs (map (name: {
        inherit name;
        value = mergeDefinitions (loc ++ [ name ]) elemType
          (concatMap (d: if d.value ? ${name} then [ { inherit (d) file; value = d.value.${name}; } ] else [ ]) defs);
      }) names);
    in
    builtins.mapAttrs (_: r: r.value) (filterAttrs (_: r: r.isDefined) merged);
in
rec {
  inherit mkOptionType;

  # Anything: lists concatenate, attribute sets merge recursively, other
  # values must be equal. A single definition is returned untouched (so a
  # derivation stays a derivation).
  unspecified = mkOptionType {
    name = "unspecified";
    merge = loc: defs:
      let values = map (d: d.value) defs; in
      if length defs == 1 then (head defs).value
      else if all isList values then concatMap (x: x) values
      else if all (v: isAttrs v && !isDerivation v) values then mergeAttrs unspecified loc defs
      else mergeEqualOption loc defs;
  };
  anything = unspecified;

  str = mkOptionType { name = "str"; description = "string"; check = isString; };

  # Several definitions are joined with newlines (like NixOS `types.lines`).
  lines = mkOptionType {
    name = "lines";
    description = "strings concatenated with \"\\n\"";
    check = isString;
    merge = loc: defs: concatMapStringsSep "\n" (d: d.value) defs;
  };

  int = mkOptionType { name = "int"; description = "signed integer"; check = isInt; };
  port = mkOptionType { name = "port"; description = "16 bit unsigned integer"; check = v: isInt v && v >= 0 && v <= 65535; };
  bool = mkOptionType { name = "bool"; description = "boolean"; check = isBool; };

  path = mkOptionType {
    name = "path";
    check = v: isPath v || (isString v && hasPrefix "/" v);
  };

  package = mkOptionType {
    name = "package";
    check = v: isDerivation v || (isAttrs v && v ? outPath);
  };

  enum = values: mkOptionType {
    name = "enum";
    description = "one of ${concatMapStringsSep ", " showValue values}";
    check = v: elem v values;
  };

  nullOr = elemType: mkOptionType {
    name = "nullOr";
    description = "null or ${elemType.description}";
    check = v: v == null || elemType.check v;
    merge = loc: defs:
      if all (d: d.value == null) defs then null
      else if any (d: d.value == null) defs then
        throw "The option `${showOption loc}' is defined both null and not null."
      else elemType.merge loc defs;
  };

  # Definitions are concatenated; each element is merged on its own (so a
  # `listOf (submodule ...)` gets its elements evaluated as modules).
  listOf = elemType: mkOptionType {
    name = "listOf";
    description = "list of ${elemType.description}";
    check = isList;
    merge = loc: defs:
      let
        entries = concatMap (d: imap1 (i: x:
          mergeDefinitions (loc ++ [ "[entry ${toString i}]" ]) elemType [ { inherit (d) file; value = x; } ]) d.value) defs;
      in
      map (e: e.value) (builtins.filter (e: e.isDefined) entries);
  };

  attrsOf = elemType: mkOptionType {
    name = "attrsOf";
    description = "attribute set of ${elemType.description}";
    check = isAttrs;
    merge = mergeAttrs elemType;
  };

  # A nested module system: all definitions become modules of one
  # evalModules call. Inside, `name` is the attribute name (for attrsOf).
  # An attribute-set definition is always plain config (so a submodule may
  # have an option called `options`, like fileSystems.<name>.options);
  # functions and paths are full modules.
  submodule = modules: mkOptionType {
    name = "submodule";
    check = v: isAttrs v || isFunction v || isPath v;
    merge = loc: defs: (lib.evalModules {
      modules = lib.toList modules ++ map (d:
        if isAttrs d.value then { _file = d.file; config = d.value; }
        else { _file = d.file; imports = [ d.value ]; }) defs;
      specialArgs = { name = lib.last loc; };
      prefix = loc;
    }).config;
  };
}
