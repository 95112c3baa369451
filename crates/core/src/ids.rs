//! `Copy` newtype ids. A [`crate::Season`] maps every external string id to one
//! of these once, at load time; hot loops never compare strings.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as an index into the season's vector of this kind.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of the element at `index`.
            #[inline]
            pub fn from_index(index: usize) -> Self {
                Self(u32::try_from(index).expect("more than u32::MAX elements"))
            }
        }
    };
}

id_type!(
    /// A learner, an index into [`crate::Season::learners`].
    LearnerId
);
id_type!(
    /// A workplace site, an index into [`crate::Season::workplaces`].
    WorkplaceId
);
id_type!(
    /// A programme, an index into [`crate::Season::programmes`].
    ProgrammeId
);
id_type!(
    /// A school, an index into [`crate::Season::schools`].
    SchoolId
);
id_type!(
    /// A recognition: one (workplace, programme) pair with seats, an index into
    /// [`crate::Season::groups`].
    GroupId
);
id_type!(
    /// A scored candidate pair: an index into the columns of
    /// [`crate::scoring::Candidates`] (see
    /// [`crate::scoring::Candidates::ids_of`]).
    CandidateId
);
id_type!(
    /// An attribute tag such as `licence_b`, an index into [`crate::Season::tags`].
    TagId
);
id_type!(
    /// A priority group such as `extra_support`, an index into
    /// [`crate::Season::priority_groups`].
    PriorityGroupId
);
id_type!(
    /// A mentor at a workplace site, an index into [`crate::Season::mentors`].
    MentorId
);
