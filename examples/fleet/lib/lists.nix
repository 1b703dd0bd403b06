# List helpers (a small subset of nixpkgs' lib.lists, written from builtins).
lib:
let
  inherit (builtins) concatMap elemAt genList isList length foldl';
in
rec {
  inherit (builtins) all any concatLists elem filter head tail sort;
  inherit concatMap length foldl';

  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];

  toList = x: if isList x then x else [ x ];

  # Map with index, starting at 0 / 1.
  imap0 = f: xs: genList (i: f i (elemAt xs i)) (length xs);
  imap1 = f: imap0 (i: f (i + 1));

  foldr = op: nul: xs:
    let go = i: if i == length xs then nul else op (elemAt xs i) (go (i + 1));
    in go 0;

  flatten = x: if isList x then concatMap flatten x else [ x ];

  last = xs: elemAt xs (length xs - 1);

  range = first: last': if first > last' then [ ] else genList (i: first + i) (last' - first + 1);

  # Keeps the first occurrence of every element.
  unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  findFirst = pred: default: xs:
    let found = builtins.filter pred xs; in if found == [ ] then default else builtins.head found;

  count = pred: foldl' (n: x: if pred x then n + 1 else n) 0;
}
