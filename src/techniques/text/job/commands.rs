//! What the text job does with a command from the panel: generation, the
//! next-token bars, saves (a failure is an event), the live learning rate.

use super::{JobContext, JobError, TextCommand, TextEvent, TextJob, save_reported};

impl TextJob {
    pub(super) fn handle(
        &mut self,
        ctx: &mut JobContext<TextEvent, TextCommand>,
        command: TextCommand,
    ) -> Result<(), JobError> {
        match command {
            TextCommand::Generate {
                id,
                prompt,
                length,
                sampling,
                seed,
            } => self.stream(ctx, id, &prompt, length, sampling, seed),
            TextCommand::NextToken {
                id,
                prompt,
                sampling,
            } => match self.candidates(&prompt, sampling, 12) {
                Ok(candidates) => ctx.send(TextEvent::NextToken { id, candidates }),
                Err(reason) => ctx.send(TextEvent::Refused { id, reason }),
            },
            TextCommand::Save(dir) => save_reported(
                ctx,
                dir,
                |d| self.save(d),
                TextEvent::Saved,
                |path, reason| TextEvent::SaveFailed { path, reason },
            ),
            TextCommand::LearningRate(lr) => {
                self.learning_rate = lr;
                Ok(())
            }
            TextCommand::StopGenerating | TextCommand::StopTraining => Ok(()),
        }
    }
}
