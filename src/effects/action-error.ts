// An effect's failure, carrying the kubelet-style reason the status will show.
/** A failure with a kubelet-style reason (ErrImagePull, CreateContainerError, ...). */
export class ActionError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}
