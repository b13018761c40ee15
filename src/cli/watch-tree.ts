import { type Dirent, type FSWatcher, readdirSync, watch } from 'node:fs';
import { join, relative } from 'node:path';

/** What `watchTree` returns: `close()` stops every watcher. */
export interface TreeWatcher {
  close(): void;
}

/**
 * Watches every folder below `root` (those `ignore` accepts are skipped, with what is below
 * them) and calls `onChange` with the path, relative to `root`, of each file or folder created,
 * changed, renamed or deleted. Folders created later are watched as they appear.
 *
 * One watcher per folder, not per file: an editor that saves by writing a new file and renaming
 * it over the old one (vim, `sed -i`, "atomic save") replaces the file's inode, which a watcher
 * on the file itself loses — Node 20's `fs.watch(dir, { recursive: true })` on Linux watches
 * files that way and misses every save after the first. A folder's watcher sees them all.
 *
 * @example
 * const watcher = watchTree(process.cwd(), (path) => console.log(`${path} changed`), (path) => path.includes('node_modules'));
 * watcher.close();
 */
export function watchTree(root: string, onChange: (path: string) => void, ignore: (path: string) => boolean): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const add = (dir: string): void => {
    if (closed || watchers.has(dir)) return;
    const rel = relative(root, dir);
    if (rel !== '' && ignore(rel)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (name === null || name === undefined) return;
        const path = join(dir, String(name));
        const relPath = relative(root, path);
        if (ignore(relPath)) return;
        // A folder created (or moved in) below: watch it and what it holds.
        addTree(path);
        onChange(relPath);
      });
    } catch {
      // Gone already, or not a folder.
      return;
    }
    // A watched folder that is deleted reports an error on some platforms: stop watching it.
    watcher.on('error', () => {
      watcher.close();
      watchers.delete(dir);
    });
    watchers.set(dir, watcher);
  };

  const addTree = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    add(dir);
    for (const entry of entries) if (entry.isDirectory()) addTree(join(dir, entry.name));
  };

  addTree(root);
  return {
    close() {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
