// The tracked files of a git repository: in a git flake only these exist.

export interface TrackedTree {
  files: Set<string>;
  /** Folder (relative, "" for the top) → names of tracked files and folders holding tracked files. */
  children: Map<string, Set<string>>;
}

export function buildTrackedTree(files: Iterable<string>): TrackedTree {
  const tree: TrackedTree = { files: new Set(), children: new Map() };
  for (const file of files) {
    tree.files.add(file);
    let path = file;
    while (true) {
      const slash = path.lastIndexOf("/");
      const parent = slash < 0 ? "" : path.slice(0, slash);
      const name = path.slice(slash + 1);
      let names = tree.children.get(parent);
      if (names === undefined) {
        names = new Set();
        tree.children.set(parent, names);
      } else if (names.has(name)) break; // its ancestors are registered already
      names.add(name);
      if (parent === "") break;
      path = parent;
    }
  }
  return tree;
}
