import { EventEmitter } from "node:events";

/** A response that records what was written and ends like Node's: `close` after `end`. */
export class FakeResponse extends EventEmitter {
  writableEnded = false;
  written: string[] = [];
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.written.push(chunk);
    return true;
  }
  end() {
    this.writableEnded = true;
    this.emit("close");
    return this;
  }
}
