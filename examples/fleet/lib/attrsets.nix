# Attribute-set helpers (a small subset of nixpkgs' lib.attrsets, written from builtins).
lib:
let
  inherit (builtins) attrNames concatMap foldl' isAttrs listToAttrs mapAttrs length head tail;
in
rec {
  inherit (builtins) attrNames attrValues hasAttr getAttr mapAttrs removeAttrs listToAttrs intersectAttrs;

  nameValuePair = name: value: { inherit name value; };

  filterAttrs = pred: set:
    listToAttrs (concatMap (n: if pred n set.${n} then [ (nameValuePair n set.${n}) ] else [ ]) (attrNames set));

  # mapAttrs' (n: v: nameValuePair "x-${n}" v) { a = 1; } == { x-a = 1; }
  mapAttrs' = f: set: listToAttrs (map (n: f n set.${n}) (attrNames set));

  mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);

  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);

  optionalAttrs = cond: set: if cond then set else { };

  attrByPath = path: default: set:
    if path == [ ] then set
    else if isAttrs set && set ? ${head path} then attrByPath (tail path) default set.${head path}
    else default;

  hasAttrByPath = path: set: attrByPath path null set != null;

  setAttrByPath = path: value:
    foldl' (acc: n: { ${n} = acc; }) value (lib.foldr (x: xs: xs ++ [ x ]) [ ] path);

  # Right-biased recursive merge of two attribute sets.
  recursiveUpdate = lhs: rhs:
    lhs // mapAttrs (n: r:
      if isAttrs r && lhs ? ${n} && isAttrs lhs.${n} then recursiveUpdate lhs.${n} r else r) rhs;

  isDerivation = x: isAttrs x && (x.type or null) == "derivation";
}
