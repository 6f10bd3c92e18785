/** All file I/O: the FileLayer every engine read and write goes through (real disk or a simulated one), and atomic whole-file writes. */
export { freeBrokenPath, nodeFileLayer, openFile, readAt, sizeOfOpenFile, withFile, type FileLayer, type OpenMode } from './file-layer.js';
export { writeFileAtomic } from './atomic-write.js';
